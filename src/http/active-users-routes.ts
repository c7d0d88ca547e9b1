import type { Context, Hono } from 'hono';
import {
  parseMetric,
  type ActiveAnswer,
  type ActiveBudgetState,
  type ActiveUsers,
} from '../active-users/index.js';
import { requestErasure } from '../erasure/index.js';
import { BudgetExhaustedError, UserError } from '../errors.js';
import type { BudgetState } from '../ledger/index.js';
import { ingestEvents } from '../pipeline/events.js';
import type { Lake } from '../storage/index.js';
import type { HttpMetrics } from './metrics.js';

const MAX_EVENTS = 10_000;

/** The public fields of an answer: DP outputs and public parameters, never an exact count. */
function answerBody(a: ActiveAnswer): Record<string, unknown> {
  const r = a.release;
  const p = r.partitions[0]!;
  return {
    day: p.key,
    estimate: p.value,
    lower_95: p.ci95[0],
    upper_95: p.ci95[1],
    epsilon_used: r.privacy.epsilon,
    delta: r.privacy.delta,
    mechanism: r.privacy.mechanism,
    noise_scale: r.privacy.noise_scale,
    ...(r.privacy.window_days !== undefined
      ? { window_days: r.privacy.window_days, window_start: r.window.start, window_end: r.window.end }
      : {}),
    budget_remaining: a.budget.epsilonRemaining,
    period: a.budget.period,
    reused: a.reused,
    created_at: r.created_at,
    release: a.path,
  };
}

/**
 * A metric's budget in a month, and `total`: the month's per-person total over every metric
 * (the guarantee one person gets for that month).
 */
export function budgetBody(s: ActiveBudgetState, day?: string): Record<string, unknown> {
  return {
    metric: s.metric,
    ...(day !== undefined ? { day } : {}),
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

/** The month's per-person total: every metric's releases composed with the best valid statement. */
export function totalBody(t: BudgetState): Record<string, unknown> {
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
 * The 429 body: `metric` is the requested metric; `limit` says which cap was hit (`metric`: its
 * own, `total`: the month's per-person total), and `epsilon_*` describe that cap.
 */
function exhaustedBody(err: BudgetExhaustedError, s: ActiveBudgetState): Record<string, unknown> {
  const body = budgetBody(s);
  if (err.details.limit === 'total') {
    body.epsilon_cap = s.total.epsilonCap;
    body.epsilon_spent = s.total.epsilonSpent;
    body.epsilon_remaining = s.total.epsilonRemaining;
    body.delta = s.total.deltaSpent;
  }
  return { error: 'budget_exhausted', message: err.message, limit: err.details.limit, ...body };
}

/**
 * The DAU/MAU routes: `GET /dau/{day}`, `GET /mau?end=&window=`, `GET /budget/{metric}`,
 * `POST /event`, `POST /erase`. Budget exhaustion answers 429 with the remaining budget.
 */
export function addActiveUsersRoutes(
  app: Hono,
  deps: { readonly users: ActiveUsers; readonly lake: Lake; readonly metrics: HttpMetrics },
): void {
  const { users, lake, metrics } = deps;

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
      return c.json(answerBody(a));
    } catch (err) {
      if (!(err instanceof BudgetExhaustedError)) throw err;
      metrics.add('dp_releases_total', { metric, outcome: 'refused' });
      // The month that ran out (a window spanning two months may exhaust the earlier one).
      const s = await users.budgetState(metric, err.details.period ?? period);
      return c.json(exhaustedBody(err, s), 429);
    }
  };

  app.get('/dau/:day', (c) => {
    const day = c.req.param('day');
    return release(c, 'dau', day.slice(0, 7), () => users.dau(day));
  });

  app.get('/mau', (c) => {
    const end = c.req.query('end');
    if (end === undefined) throw new UserError('query parameter end=YYYY-MM-DD is required');
    const windowText = c.req.query('window');
    let window: number | undefined;
    if (windowText !== undefined) {
      if (!/^\d{1,3}$/.test(windowText)) {
        throw new UserError(`window must be a whole number of days, got '${windowText}'`);
      }
      window = Number(windowText);
    }
    return release(c, 'mau', end.slice(0, 7), () => users.mau(end, window));
  });

  app.get('/budget/:metric', async (c) => {
    const metric = parseMetric(c.req.param('metric'));
    const day = c.req.query('day');
    const month = c.req.query('month');
    let period: string;
    if (day !== undefined) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day))
        throw new UserError(`day must be a date YYYY-MM-DD, got '${day}'`);
      period = day.slice(0, 7);
    } else if (month !== undefined) period = month;
    else period = users.now().toISOString().slice(0, 7);
    return c.json(budgetBody(await users.budgetState(metric, period), day));
  });

  app.post('/event', async (c) => {
    const body = await jsonBody(c);
    const list = Array.isArray(body.events)
      ? (body.events as unknown[])
      : body.event !== undefined
        ? [body.event]
        : undefined;
    if (list === undefined) throw new UserError('body must be {"event": {...}} or {"events": [...]}');
    if (list.length === 0) throw new UserError('events: empty list');
    if (list.length > MAX_EVENTS)
      throw new UserError(`events: at most ${MAX_EVENTS} per request, got ${list.length}`);
    const additions: { user_id: string; timestamp: string }[] = [];
    const erasures: string[] = [];
    list.forEach((e, i) => {
      const where = `events[${i}]`;
      if (typeof e !== 'object' || e === null || Array.isArray(e)) {
        throw new UserError(`${where}: expected an object {"user_id", "op", "day"}`);
      }
      const { user_id: user, op, day } = e as Record<string, unknown>;
      if (typeof user !== 'string' || user.trim() === '') {
        throw new UserError(`${where}.user_id: a non-empty string is required`);
      }
      if (op === '-') {
        erasures.push(user);
        return;
      }
      if (op !== '+')
        throw new UserError(`${where}.op: must be "+" or "-", got ${JSON.stringify(op) ?? 'nothing'}`);
      if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
        throw new UserError(`${where}.day: must be a date YYYY-MM-DD`);
      }
      additions.push({ user_id: user, timestamp: day });
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
    const body = await jsonBody(c);
    const user = body.user_id;
    if (typeof user !== 'string' || user.trim() === '') {
      throw new UserError('body must be {"user_id": "<the raw user id>"}');
    }
    const { status } = await requestErasure(lake, user, { source: 'api' });
    metrics.add('dp_erasures_requested_total', {});
    return c.json({ status }, 202);
  });
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new UserError('request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UserError('request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
