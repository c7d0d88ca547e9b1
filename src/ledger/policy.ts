import type { PipelineConfig } from '../config/index.js';
import { UserError } from '../errors.js';
import type { BudgetPolicy } from './cost.js';

/** The ledger's metrics: each has its own monthly cap, and all of them compose into the month's total. */
export const LEDGER_METRICS = ['analyses', 'utility', 'dau', 'mau'] as const;
export type LedgerMetric = (typeof LEDGER_METRICS)[number];

/** A cap and the config field that sets it (named in refusals). */
export interface CapPolicy extends BudgetPolicy {
  readonly epsilonField: string;
  readonly deltaField: string;
}

/**
 * How a metric's releases compose against its own monthly cap:
 * - `analyses`, `utility`: `budget.accounting` under `budget.monthly_epsilon_cap`/`monthly_delta_cap`;
 * - `dau`: pure ε-DP releases, ε summed under `active_users.dau.monthly_epsilon_cap` (δ = 0);
 * - `mau`: zCDP releases, ρ summed and stated at δ = `active_users.mau.delta` under
 *   `active_users.mau.monthly_epsilon_cap`.
 */
export function metricPolicy(config: PipelineConfig, metric: LedgerMetric): CapPolicy {
  switch (metric) {
    case 'analyses':
    case 'utility':
      return {
        epsilonCap: config.budget.monthly_epsilon_cap,
        deltaCap: config.budget.monthly_delta_cap,
        accounting: config.budget.accounting,
        epsilonField: 'budget.monthly_epsilon_cap',
        deltaField: 'budget.monthly_delta_cap',
      };
    case 'dau':
      return {
        epsilonCap: config.active_users.dau.monthly_epsilon_cap,
        deltaCap: 0,
        accounting: 'naive',
        epsilonField: 'active_users.dau.monthly_epsilon_cap',
        deltaField: 'active_users.dau (δ = 0: pure ε-DP only)',
      };
    case 'mau':
      return {
        epsilonCap: config.active_users.mau.monthly_epsilon_cap,
        deltaCap: config.active_users.mau.delta,
        accounting: 'zcdp',
        epsilonField: 'active_users.mau.monthly_epsilon_cap',
        deltaField: 'active_users.mau.delta',
      };
  }
}

/**
 * The per-person monthly total: every metric's releases of one calendar month composed together
 * with the best valid statement (see `composeCosts`), under `budget.total_monthly_epsilon_cap`
 * and `budget.total_monthly_delta_cap`. This is the guarantee one person gets for that month.
 */
export function totalPolicy(config: PipelineConfig): CapPolicy {
  return {
    epsilonCap: config.budget.total_monthly_epsilon_cap,
    deltaCap: config.budget.total_monthly_delta_cap,
    accounting: 'best',
    epsilonField: 'budget.total_monthly_epsilon_cap',
    deltaField: 'budget.total_monthly_delta_cap',
  };
}

/** A metric named by a user (CLI flag): one of {@link LEDGER_METRICS}, or a one-line `UserError`. */
export function parseLedgerMetric(text: string): LedgerMetric {
  if ((LEDGER_METRICS as readonly string[]).includes(text)) return text as LedgerMetric;
  throw new UserError(`metric must be one of ${LEDGER_METRICS.join(', ')}, got '${text}'`);
}
