import type { ActiveUsersConfig } from '../config/index.js';
import { pureEpsilonToRho, rhoForEpsilonDelta, rhoToEpsilon } from '../dp/index.js';
import { UserError } from '../errors.js';
import { BudgetLedger } from '../ledger/index.js';
import type { TableStore } from '../storage/index.js';

export const ACTIVE_METRICS = ['dau', 'mau'] as const;
export type ActiveMetric = (typeof ACTIVE_METRICS)[number];

/** What one release costs: pure ε (δ = 0), or ρ of zCDP. */
export type ReleaseCost = { readonly epsilon: number } | { readonly rho: number };

/** A metric's monthly budget as the API and CLI show it. */
export interface ActiveBudgetState {
  readonly metric: ActiveMetric;
  /** Calendar month `YYYY-MM`. */
  readonly period: string;
  readonly epsilonCap: number;
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
  /** δ of the month's guarantee: 0 for DAU (pure ε-DP), the configured δ for MAU. */
  readonly delta: number;
  readonly releaseCount: number;
  /** How releases compose in this ledger. */
  readonly composition: 'sum' | 'zcdp';
  /** First day of the next month, when this month's budget no longer matters (`YYYY-MM-DD`). */
  readonly nextReset: string;
}

export function parseMetric(text: string): ActiveMetric {
  if ((ACTIVE_METRICS as readonly string[]).includes(text)) return text as ActiveMetric;
  throw new UserError(`metric must be one of ${ACTIVE_METRICS.join(', ')}, got '${text}'`);
}

/**
 * The per-metric monthly budgets of DAU and MAU, on the shared {@link BudgetLedger} (table
 * `budget`, one entity per metric and month, charges idempotent per release id).
 *
 * - `dau`: every release is pure ε-DP (discrete Laplace); the month's ε is the plain sum (δ = 0).
 * - `mau`: releases are zCDP (discrete Gaussian); the ledger stores the month's guarantee as the
 *   ε of (ε, δ)-DP for the total ρ (tight CKS 2020 conversion), and each release is charged the
 *   increase it causes: ε(ρ_before + ρ) − ε(ρ_before). Composing in ρ is much tighter than adding
 *   each release's ε. Two releases racing on the same month may both be charged against the same
 *   ρ_before, which over-counts (ε is concave in ρ): safe, never under-counted.
 *
 * @example
 * ```ts
 * const budget = new ActiveUsersBudget(lake.tables('budget'), config.active_users);
 * await budget.charge('mau', '2016-08', 'mau/2016-08-31/30', { rho: 0.004 });
 * ```
 */
export class ActiveUsersBudget {
  constructor(
    private readonly table: TableStore,
    private readonly config: ActiveUsersConfig,
  ) {}

  private ledger(metric: ActiveMetric): BudgetLedger {
    return new BudgetLedger(this.table, metric, this.config[metric].monthly_epsilon_cap);
  }

  async state(metric: ActiveMetric, period: string): Promise<ActiveBudgetState> {
    checkPeriod(period);
    const s = await this.ledger(metric).state(period);
    return {
      metric,
      period,
      epsilonCap: s.epsilonCap,
      epsilonSpent: s.epsilonSpent,
      epsilonRemaining: s.epsilonRemaining,
      delta: metric === 'dau' ? 0 : this.config.mau.delta,
      releaseCount: s.releaseCount,
      composition: metric === 'dau' ? 'sum' : 'zcdp',
      nextReset: nextMonthStart(period),
    };
  }

  async isCharged(metric: ActiveMetric, period: string, releaseId: string): Promise<boolean> {
    return this.ledger(metric).isCharged(period, releaseId);
  }

  /** The ε the ledger grows by if a release of `cost` is charged now. */
  async increment(metric: ActiveMetric, period: string, cost: ReleaseCost): Promise<number> {
    if (metric === 'dau') {
      if (!('epsilon' in cost)) throw new Error('DAU releases are pure ε-DP; a ρ cost is a bug');
      return cost.epsilon;
    }
    const delta = this.config.mau.delta;
    const rho = 'rho' in cost ? cost.rho : pureEpsilonToRho(cost.epsilon);
    const spent = (await this.ledger(metric).state(period)).epsilonSpent;
    // ρ already spent, recovered from its ε; raised by a hair so rounding never under-counts it.
    const rhoBefore = spent > 0 ? rhoForEpsilonDelta(spent, delta) * (1 + 1e-9) : 0;
    return Math.max(0, rhoToEpsilon(rhoBefore + rho, delta) - spent);
  }

  /** Raises `BudgetExhaustedError` (spending nothing) when the release would exceed the cap. */
  async check(metric: ActiveMetric, period: string, cost: ReleaseCost): Promise<number> {
    const eps = await this.increment(metric, period, cost);
    await this.ledger(metric).check(period, eps);
    return eps;
  }

  /** Charges a release once (a repeated id is a no-op); returns the ε added. */
  async charge(metric: ActiveMetric, period: string, releaseId: string, cost: ReleaseCost): Promise<number> {
    const ledger = this.ledger(metric);
    if (await ledger.isCharged(period, releaseId)) return 0;
    const eps = await this.increment(metric, period, cost);
    await ledger.charge(period, releaseId, eps);
    return eps;
  }

  /**
   * Forgets what a month has spent (operators only; the CLI requires `--force` and logs it).
   * Releases already in Gold stay and are still re-served without spending.
   */
  async reset(metric: ActiveMetric, period: string): Promise<boolean> {
    checkPeriod(period);
    // BudgetLedger's entity: partition key = metric, row key = period.
    return this.table.delete(metric, period);
  }
}

export function checkPeriod(period: string): void {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) {
    throw new UserError(`month must be YYYY-MM, got '${period}'`);
  }
}

function nextMonthStart(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
}
