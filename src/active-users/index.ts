/**
 * Daily and rolling monthly active users with differential privacy: per-day DAU (discrete
 * Laplace), rolling MAU (discrete Gaussian, zCDP), and whole-month continual-release series
 * (flippancy-bounded tree mechanism), each charged to the metric's monthly budget, published to
 * Gold once and re-served.
 *
 * @example
 * ```ts
 * const users = new ActiveUsers({ lake, config, clock: () => new Date(), counts: () => openActivity(lake) });
 * const { release, budget } = await users.mau('2016-08-31', 30);
 * ```
 */
export { ActiveUsers, type ActiveAnswer, type ActiveUsersDeps } from './service.js';
export {
  ACTIVE_METRICS,
  activeBudgetState,
  parseMetric,
  type ActiveBudgetState,
  type ActiveMetric,
} from './budget.js';
export type { ActivityCounts } from './counts.js';
export {
  dauRelease,
  mauRelease,
  seriesRelease,
  dauPlan,
  mauPlan,
  seriesPlan,
  type SeriesKind,
} from './mechanisms.js';
export { addDays, daysOfMonth, parseDay } from './days.js';
