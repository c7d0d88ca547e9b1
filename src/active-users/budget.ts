import type { ActiveUsersConfig } from '../config/index.js';
import { UserError } from '../errors.js';
import type { BudgetState, MonthBudget } from '../ledger/index.js';

export const ACTIVE_METRICS = ['dau', 'mau'] as const;
export type ActiveMetric = (typeof ACTIVE_METRICS)[number];

/** A metric's monthly budget as the API and CLI show it, with the month's per-person total. */
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
  /** The month's per-person total over every metric (Gold analyses, utility, DAU, MAU). */
  readonly total: BudgetState;
}

export function parseMetric(text: string): ActiveMetric {
  if ((ACTIVE_METRICS as readonly string[]).includes(text)) return text as ActiveMetric;
  throw new UserError(`metric must be one of ${ACTIVE_METRICS.join(', ')}, got '${text}'`);
}

/**
 * A DAU or MAU budget out of the month's ledger state: `dau` sums pure ε (δ = 0); `mau` composes
 * ρ in zCDP, stated at the configured MAU δ (see `metricPolicy`).
 */
export function activeBudgetState(
  month: MonthBudget,
  metric: ActiveMetric,
  config: ActiveUsersConfig,
): ActiveBudgetState {
  const s = month.metrics[metric];
  return {
    metric,
    period: month.period,
    epsilonCap: s.epsilonCap,
    epsilonSpent: s.epsilonSpent,
    epsilonRemaining: s.epsilonRemaining,
    delta: metric === 'dau' ? 0 : config.mau.delta,
    releaseCount: s.releaseCount,
    composition: metric === 'dau' ? 'sum' : 'zcdp',
    nextReset: month.nextReset,
    total: month.total,
  };
}

export function checkPeriod(period: string): void {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) {
    throw new UserError(`month must be YYYY-MM, got '${period}'`);
  }
}
