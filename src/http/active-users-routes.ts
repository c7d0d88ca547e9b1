import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import type { ActiveAnswer, ActiveBudgetState, ActiveUsers } from '../active-users/index.js';
import { requestErasure } from '../erasure/index.js';
import { BudgetExhaustedError, UserError } from '../errors.js';
import type { BudgetState } from '../ledger/index.js';
import { ingestEvents } from '../pipeline/events.js';
import type { Lake } from '../storage/index.js';
import type { HttpMetrics } from './metrics.js';
import {
  budgetParams,
  budgetQuery,
  dayParams,
  eraseBodySchema,
  eventBodySchema,
  mauQuery,
  type answerSchema,
  type budgetSchema,
  type exhaustedSchema,
  type totalSchema,
} from './schemas.js';
import { errorAnswer } from './status.js';
import { decode } from './validate.js';

/**
 * The public fields of an answer: DP outputs, public parameters and the month's budget, never an
 * exact count.
 */
function answerBody(a: ActiveAnswer, version: string): z.input<typeof answerSchema> {
  const r = a.release;
  const p = r.partitions[0]!;
  const windowDays = r.privacy.window_days;
  return {
    day: p.key,
    estimate: p.value,
    lower_95: p.ci95[0],
    upper_95: p.ci95[1],
    epsilon_used: r.privacy.epsilon,
    delta: r.privacy.delta,
    mechanism: r.privacy.mechanism,
    noise_scale: r.privacy.noise_scale,
    window_days: windowDays ?? null,
    ...(windowDays !== undefined ? { window_start: r.window.start, window_end: r.window.end } : {}),
    budget_remaining: a.budget.epsilonRemaining,
    budget: {
      period: a.budget.period,
      cap: a.budget.epsilonCap,
      spent: a.budget.epsilonSpent,
      remaining: a.budget.epsilonRemaining,
      release_count: a.budget.releaseCount,
      next_reset: a.budget.nextReset,
      total: totalBody(a.budget.total),
    },
    period: a.budget.period,
    reused: a.reused,
    created_at: r.created_at,
    release: a.path,
    version,
    sketch_impl: 'exact',
  };
}

type BudgetFields = Omit<z.input<typeof budgetSchema>, 'day' | 'policy'>;

/**
 * A metric's budget in a month, and `total`: the month's per-person total over every metric
 * (the guarantee one person gets for that month).
 */
export function budgetBody(s: ActiveBudgetState): BudgetFields {
  return {
    metric: s.metric,
    period: s.period,
    epsilon_cap: s.epsilonCap,
    epsilon_spent: s.epsilonSpent,
    epsilon_remaining: s.epsilonRemaining,
    delta: s.delta,
    release_count: s.releaseCount,
    composition: s.composition,
    next_reset: s.nextReset,
    total: totalBody(s.total),
  };
}

/** How the metric's releases compose against its cap, for `GET /budget/{metric}`. */
function policyBody(s: ActiveBudgetState): z.input<typeof budgetSchema>['policy'] {
  const notes =
    s.metric === 'dau'
      ? 'Each DAU release is pure ε-DP (discrete Laplace); the ε of the month’s releases add up (δ = 0).'
      : `Each MAU release is zCDP (discrete Gaussian) and stored as ρ; the month’s ρ add up and are stated as (ε, δ) at δ = ${s.delta.toExponential()}. A window spanning two months spends from both.`;
  return {
    monthly_cap: s.epsilonCap,
    composition: s.composition,
    notes: `${notes} Every release also spends from the month’s per-person total over every metric (total). Re-served releases are free.`,
  };
}

/** The month's per-person total: every metric's releases composed with the best valid statement. */
export function totalBody(t: BudgetState): z.input<typeof totalSchema> {
  return {
    epsilon_cap: t.epsilonCap,
    epsilon_spent: t.epsilonSpent,
    epsilon_remaining: t.epsilonRemaining,
    delta: t.deltaSpent,
    delta_cap: t.deltaCap,
    release_count: t.releaseCount,
    composition: t.statement,
  };
}

/**
 * The 429 body: the flat error body, plus `metric` (the requested metric), `limit` (which cap
 * was hit: `metric`, its own, or `total`, the month's per-person total), and `epsilon_*`
 * describing that cap.
 */
function exhaustedBody(err: BudgetExhaustedError, s: ActiveBudgetState): z.input<typeof exhaustedSchema> {
  const body = budgetBody(s);
  if (err.details.limit === 'total') {
    body.epsilon_cap = s.total.epsilonCap;
    body.epsilon_spent = s.total.epsilonSpent;
    body.epsilon_remaining = s.total.epsilonRemaining;
    body.delta = s.total.deltaSpent;
  }
  const { message, hint } = errorAnswer('budget_exhausted', err.message).body;
  return { error: 'budget_exhausted', message, hint, limit: err.details.limit, ...body };
}

/**
 * The DAU/MAU routes: `GET /dau/{day}`, `GET /mau?end=&window=`, `GET /budget/{metric}`,
 * `POST /event`, `POST /erase`. Budget exhaustion answers 429 with the remaining budget.
 */
export function addActiveUsersRoutes(
  app: Hono,
  deps: {
    readonly users: ActiveUsers;
    readonly lake: Lake;
    readonly metrics: HttpMetrics;
    /** The product version every answer carries. */
    readonly version: string;
  },
): void {
  const { users, lake, metrics, version } = deps;

  const release = async (
    c: Context,
    metric: 'dau' | 'mau',
    period: string | undefined,
    run: () => Promise<ActiveAnswer>,
  ): Promise<Response> => {
    try {
      const a = await run();
      metrics.add('dp_releases_total', { metric, outcome: a.reused ? 'reused' : 'computed' });
      if (a.epsilonCharged > 0) metrics.add('dp_epsilon_spent_total', { metric }, a.epsilonCharged);
      return c.json(answerBody(a, version));
    } catch (err) {
      if (!(err instanceof BudgetExhaustedError)) throw err;
      metrics.add('dp_releases_total', { metric, outcome: 'refused' });
      // The month that ran out (a window spanning two months may exhaust the earlier one).
      const s = await users.budgetState(metric, err.details.period ?? period);
      return c.json(exhaustedBody(err, s), 429);
    }
  };

  app.get('/dau/:day', (c) => {
    const { day } = decode(dayParams, { day: c.req.param('day') });
    return release(c, 'dau', day.slice(0, 7), () => users.dau(day));
  });

  app.get('/mau', (c) => {
    const q = decode(mauQuery, c.req.query());
    const window = q.window === undefined ? undefined : Number(q.window);
    return release(c, 'mau', q.end.slice(0, 7), () => users.mau(q.end, window));
  });

  app.get('/budget/:metric', async (c) => {
    const { metric } = decode(budgetParams, { metric: c.req.param('metric') });
    const { day, month } = decode(budgetQuery, c.req.query());
    const period = day?.slice(0, 7) ?? month ?? users.now().toISOString().slice(0, 7);
    const s = await users.budgetState(metric, period);
    return c.json({
      ...budgetBody(s),
      ...(day !== undefined ? { day } : {}),
      policy: policyBody(s),
    } satisfies z.input<typeof budgetSchema>);
  });

  app.post('/event', async (c) => {
    const body = decode(eventBodySchema, await jsonBody(c));
    const list = body.events ?? [body.event!];
    const additions: { user_id: string; timestamp: string }[] = [];
    const erasures: string[] = [];
    list.forEach((e, i) => {
      if (e.op === '-') erasures.push(e.user_id);
      else if (e.day === undefined) throw new UserError(`events[${i}].day: required for op "+"`);
      else additions.push({ user_id: e.user_id, timestamp: e.day });
    });
    if (additions.length > 0) {
      await ingestEvents(lake, additions, { describe: (i) => `events[${i}]` });
      metrics.add('dp_events_ingested_total', {}, additions.length);
    }
    for (const user of erasures) {
      await requestErasure(lake, user, { source: 'api' });
      metrics.add('dp_erasures_requested_total', {});
    }
    return c.json({ ingested: additions.length + erasures.length }, 202);
  });

  app.post('/erase', async (c) => {
    const { user_id: user } = decode(eraseBodySchema, await jsonBody(c));
    const { status } = await requestErasure(lake, user, { source: 'api' });
    metrics.add('dp_erasures_requested_total', {});
    return c.json({ status }, 202);
  });
}

async function jsonBody(c: Context): Promise<unknown> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new UserError('request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UserError('request body must be a JSON object');
  }
  return body;
}
