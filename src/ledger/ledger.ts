import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PipelineConfig } from '../config/index.js';
import { BudgetExhaustedError, ConflictError, PreconditionFailedError, UserError } from '../errors.js';
import type { TableStore } from '../storage/index.js';
import { composeCosts, type CompositionStatement, type PrivacyCost } from './cost.js';
import {
  decodeLegacy,
  decodeMonth,
  encodeMonth,
  MONTH_PARTITION,
  type MonthCharges,
  type StoredCharge,
} from './month-entity.js';
import { LEDGER_METRICS, metricPolicy, totalPolicy, type CapPolicy, type LedgerMetric } from './policy.js';

export type { LedgerMetric } from './policy.js';

/** One release's charge: its metric, its id (unique per month), the months it covers, its cost. */
export interface Charge {
  readonly metric: LedgerMetric;
  readonly releaseId: string;
  /** Calendar months `YYYY-MM` whose budget the release spends (a window spanning two months spends from both). */
  readonly periods: readonly string[];
  readonly cost: PrivacyCost;
}

/** One cap's state in a month: what was spent, composed under its policy, against the cap. */
export interface BudgetState {
  readonly metric: LedgerMetric | 'total';
  readonly period: string;
  readonly accounting: 'naive' | 'zcdp' | 'best';
  /** The composition that gives `epsilonSpent` (for `best`, the one that won). */
  readonly statement: CompositionStatement;
  readonly epsilonCap: number;
  /** ε of the composed (ε, δ) guarantee of everything charged in the month. */
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
  readonly deltaCap: number;
  /** δ of that guarantee (the δ cap once a ρ part is converted). */
  readonly deltaSpent: number;
  /** The ρ converted in that statement (0 when it is naive). */
  readonly rhoSpent: number;
  readonly releaseCount: number;
}

/** A calendar month of the ledger: the per-person total first, then each metric. */
export interface MonthBudget {
  readonly period: string;
  /** First day of the next month (`YYYY-MM-DD`), when this month's budget no longer matters. */
  readonly nextReset: string;
  readonly total: BudgetState;
  readonly metrics: Readonly<Record<LedgerMetric, BudgetState>>;
}

/** Floating-point slack when comparing a composed ε against a cap. */
const SLACK = 1e-9;
const MAX_ATTEMPTS = 200;

interface Loaded {
  readonly charges: MonthCharges;
  /** The month entity's ETag; undefined when it does not exist yet (charges folded from legacy entities). */
  readonly etag: string | undefined;
}

/**
 * The one privacy-budget ledger: for each calendar month, every release charged to it (DAU,
 * MAU, the Gold analyses, utility analyses), composed per metric against the metric's cap and
 * all together against the per-person monthly total (see `composeCosts`).
 *
 * A month is one `budget` table entity (see `month-entity.ts`), so one ETag guards a charge
 * against every cap of that month at once. Costs are stored as what each release spends (ρ for
 * zCDP releases) and composed whenever the month is read, so concurrent charges can neither
 * over- nor under-count. Entities written by earlier versions (one per metric and month) are
 * folded in when a month has no entity of its own yet, and written as one on its next charge.
 *
 * @example
 * ```ts
 * const ledger = new PrivacyLedger(lake.tables('budget'), config);
 * const charge = { metric: 'mau', releaseId: 'mau/2016-08-31-w30', periods: ['2016-08'], cost: zcdpCost(0.004, 1e-6) } as const;
 * await ledger.check([charge]);           // BudgetExhaustedError if any cap would be passed
 * const { epsilonCharged } = await ledger.charge(charge);
 * (await ledger.state('2016-08')).total; // the month's per-person guarantee
 * ```
 */
export class PrivacyLedger {
  readonly #metricPolicies: Readonly<Record<LedgerMetric, CapPolicy>>;
  readonly #totalPolicy: CapPolicy;

  constructor(
    private readonly table: TableStore,
    private readonly config: PipelineConfig,
  ) {
    this.#metricPolicies = {
      analyses: metricPolicy(config, 'analyses'),
      utility: metricPolicy(config, 'utility'),
      dau: metricPolicy(config, 'dau'),
      mau: metricPolicy(config, 'mau'),
    };
    this.#totalPolicy = totalPolicy(config);
  }

  /** Whether `releaseId` has been charged to `period` (under any metric). */
  async isCharged(releaseId: string, period: string): Promise<boolean> {
    checkPeriod(period);
    const { charges } = await this.#load(period);
    return Object.hasOwn(charges, releaseId);
  }

  /**
   * All not-yet-charged charges together against every metric cap and the total cap, per
   * period. Spends nothing; throws `BudgetExhaustedError` naming the cap that would be passed.
   */
  async check(charges: readonly Charge[]): Promise<void> {
    const byPeriod = new Map<string, Charge[]>();
    for (const c of charges) {
      for (const period of new Set(c.periods)) {
        checkPeriod(period);
        byPeriod.set(period, [...(byPeriod.get(period) ?? []), c]);
      }
    }
    for (const [period, wanted] of byPeriod) {
      const { charges: before } = await this.#load(period);
      const after: Record<string, StoredCharge> = { ...before };
      const metrics = new Set<LedgerMetric>();
      for (const c of wanted) {
        const existing = after[c.releaseId];
        if (existing) {
          checkSameMetric(c, existing, period);
          continue;
        }
        after[c.releaseId] = { metric: c.metric, cost: c.cost };
        metrics.add(c.metric);
      }
      if (metrics.size === 0) continue;
      this.#refuseOver(
        wanted[0]!.metric,
        metrics,
        this.#evaluate(period, before),
        this.#evaluate(period, after),
      );
    }
  }

  /**
   * Charges a release to each month it covers, once per (month, release id): a repeated charge
   * is a no-op there. Each month is updated atomically (ETag), re-checking every cap of that
   * month against what is stored at that moment, so racing charges never pass a cap. Returns the
   * growth of the metric's composed ε, summed over the months.
   */
  async charge(charge: Charge): Promise<{ readonly epsilonCharged: number }> {
    let epsilonCharged = 0;
    for (const period of new Set(charge.periods)) {
      checkPeriod(period);
      epsilonCharged += await this.#chargeMonth(period, charge);
    }
    return { epsilonCharged };
  }

  /** The month's total and every metric's state. */
  async state(period: string): Promise<MonthBudget> {
    checkPeriod(period);
    return this.#evaluate(period, (await this.#load(period)).charges);
  }

  /**
   * Forgets what `metric` spent in `period` (operators only: `reset-budget --force`). Releases
   * already published stay and still count in reality. Returns false when there was nothing to forget.
   */
  async reset(period: string, metric: LedgerMetric): Promise<boolean> {
    checkPeriod(period);
    return this.#update(period, (charges) => {
      const kept = Object.entries(charges).filter(([, c]) => c.metric !== metric);
      if (kept.length === Object.keys(charges).length) return undefined;
      return Object.fromEntries(kept);
    }).then((r) => r !== undefined);
  }

  /** Every month with anything charged (or an entity of its own), in order. */
  async months(): Promise<string[]> {
    const found = new Set<string>();
    const partitions = new Set<string>([MONTH_PARTITION, ...LEDGER_METRICS]);
    for await (const { entity } of this.table.list()) {
      if (partitions.has(entity.partitionKey) && PERIOD.test(entity.rowKey)) found.add(entity.rowKey);
    }
    return [...found].sort();
  }

  async #chargeMonth(period: string, charge: Charge): Promise<number> {
    let grew = 0;
    await this.#update(period, (charges) => {
      const existing = charges[charge.releaseId];
      if (existing) {
        checkSameMetric(charge, existing, period);
        grew = 0;
        return undefined;
      }
      const after = { ...charges, [charge.releaseId]: { metric: charge.metric, cost: charge.cost } };
      const b = this.#evaluate(period, charges);
      const a = this.#evaluate(period, after);
      this.#refuseOver(charge.metric, new Set([charge.metric]), b, a);
      grew = Math.max(
        0,
        round(a.metrics[charge.metric].epsilonSpent - b.metrics[charge.metric].epsilonSpent),
      );
      return after;
    });
    return grew;
  }

  /**
   * Read-modify-write of a month under its ETag: `change` returns the new charges, or undefined
   * for no write. Lost races re-read and re-apply `change`, after a short random pause so many
   * racing writers spread out.
   */
  async #update(
    period: string,
    change: (charges: MonthCharges) => MonthCharges | undefined,
  ): Promise<MonthCharges | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { charges, etag } = await this.#load(period);
      const next = change(charges);
      if (next === undefined) return undefined;
      const entity = encodeMonth(period, next);
      try {
        if (etag === undefined) await this.table.create(entity);
        else await this.table.update(entity, etag);
        return next;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError || err instanceof ConflictError)) throw err;
        await sleep(randomInt(1, 2 + Math.min(50, 2 * attempt)));
      }
    }
    throw new Error(
      `budget ledger of ${period} is too contended (${MAX_ATTEMPTS} lost races); retry the request`,
    );
  }

  async #load(period: string): Promise<Loaded> {
    const stored = await this.table.get(MONTH_PARTITION, period);
    if (stored) return { charges: decodeMonth(stored.entity), etag: stored.etag };
    // No entity of its own yet: what earlier versions stored per metric, so nothing spent is forgotten.
    const charges: Record<string, StoredCharge> = {};
    for (const metric of LEDGER_METRICS) {
      const legacy = await this.table.get(metric, period);
      if (!legacy) continue;
      for (const [id, c] of Object.entries(
        decodeLegacy(metric, legacy.entity, this.config.active_users.mau.delta),
      )) {
        charges[id] ??= c;
      }
    }
    return { charges, etag: undefined };
  }

  #evaluate(period: string, charges: MonthCharges): MonthBudget {
    const all = Object.values(charges);
    const metrics = {} as Record<LedgerMetric, BudgetState>;
    for (const metric of LEDGER_METRICS) {
      const mine = all.filter((c) => c.metric === metric).map((c) => c.cost);
      metrics[metric] = stateOf(metric, period, this.#metricPolicies[metric], mine);
    }
    return {
      period,
      nextReset: nextMonthStart(period),
      total: stateOf(
        'total',
        period,
        this.#totalPolicy,
        all.map((c) => c.cost),
      ),
      metrics,
    };
  }

  /** Throws when a touched metric's cap, or the total cap, is over after the charges. */
  #refuseOver(
    requested: LedgerMetric,
    touched: ReadonlySet<LedgerMetric>,
    before: MonthBudget,
    after: MonthBudget,
  ): void {
    for (const metric of touched) {
      const policy = this.#metricPolicies[metric];
      if (isOver(after.metrics[metric], policy)) {
        throw exhausted(metric, 'metric', policy, before.metrics[metric], after.metrics[metric]);
      }
    }
    if (isOver(after.total, this.#totalPolicy)) {
      throw exhausted(requested, 'total', this.#totalPolicy, before.total, after.total);
    }
  }
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

function checkPeriod(period: string): void {
  if (!PERIOD.test(period)) throw new UserError(`month must be YYYY-MM, got '${period}'`);
}

function checkSameMetric(charge: Charge, existing: StoredCharge, period: string): void {
  if (existing.metric !== charge.metric) {
    throw new UserError(
      `release id ${charge.releaseId} (${charge.metric}) is already charged to ${existing.metric} in the budget ledger of ${period}; an analysis must not be named like a DAU/MAU release (dau, mau, dau_series, mau_series) or utility: rename it`,
    );
  }
}

function stateOf(
  metric: LedgerMetric | 'total',
  period: string,
  policy: CapPolicy,
  costs: readonly PrivacyCost[],
): BudgetState {
  const c = composeCosts(policy, costs);
  return {
    metric,
    period,
    accounting: policy.accounting,
    statement: c.statement,
    epsilonCap: policy.epsilonCap,
    epsilonSpent: round(c.epsilon),
    epsilonRemaining: Math.max(0, round(policy.epsilonCap - c.epsilon)),
    deltaCap: policy.deltaCap,
    deltaSpent: c.delta,
    rhoSpent: c.rho,
    releaseCount: costs.length,
  };
}

function isOver(s: BudgetState, policy: CapPolicy): boolean {
  return s.epsilonSpent > policy.epsilonCap + SLACK || s.deltaSpent > policy.deltaCap * (1 + 1e-9);
}

const ACCOUNTING_WORDS: Record<CapPolicy['accounting'], string> = {
  naive: 'naive accounting',
  zcdp: 'zcdp accounting',
  best: 'the best of naive, zCDP and hybrid composition',
};

function exhausted(
  metric: LedgerMetric,
  limit: 'metric' | 'total',
  policy: CapPolicy,
  before: BudgetState,
  after: BudgetState,
): BudgetExhaustedError {
  const wanted = round(after.epsilonSpent - before.epsilonSpent);
  const epsilonOver = after.epsilonSpent > policy.epsilonCap + SLACK;
  const what = epsilonOver
    ? `the requested release(s) need ε=${Number.isFinite(wanted) ? wanted : 'unbounded'} more`
    : `they need δ=${after.deltaSpent} in all, over the cap ${policy.deltaField}=${policy.deltaCap}`;
  const spent =
    limit === 'total'
      ? `the month's total per-person budget (every metric together) has spent ε=${before.epsilonSpent} of cap ${policy.epsilonCap}`
      : `spent ε=${before.epsilonSpent} of cap ${policy.epsilonCap}`;
  const raise = epsilonOver ? policy.epsilonField : policy.deltaField;
  return new BudgetExhaustedError(
    `privacy budget exhausted for ${metric} in ${before.period}: ${spent}; ${what} (${ACCOUNTING_WORDS[policy.accounting]}); raise ${raise} only if your privacy policy allows`,
    {
      metric,
      limit,
      period: before.period,
      epsilonSpent: before.epsilonSpent,
      epsilonCap: policy.epsilonCap,
      deltaSpent: before.deltaSpent,
      deltaCap: policy.deltaCap,
    },
  );
}

function nextMonthStart(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e12) / 1e12 : x;
}
