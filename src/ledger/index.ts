/**
 * The one privacy-budget ledger: one cost type tagged by measure, one composer, and per
 * calendar month every metric's charges composed against its own cap and, all together, against
 * the per-person monthly total.
 *
 * @example
 * ```ts
 * const ledger = new PrivacyLedger(lake.tables('budget'), config);
 * await ledger.charge({ metric: 'dau', releaseId: 'dau/2016-08-01', periods: ['2016-08'], cost: pureCost(0.3) });
 * ```
 */
export {
  approxCost,
  combine,
  composeCosts,
  naiveEpsilonDelta,
  pureCost,
  zcdpCost,
  type BudgetPolicy,
  type ComposedCost,
  type CompositionStatement,
  type CostPart,
  type PrivacyCost,
} from './cost.js';
export {
  PrivacyLedger,
  type BudgetState,
  type Charge,
  type LedgerMetric,
  type MonthBudget,
} from './ledger.js';
export { LEDGER_METRICS, metricPolicy, parseLedgerMetric, totalPolicy, type CapPolicy } from './policy.js';
export { encodeMonth, MONTH_PARTITION } from './month-entity.js';
