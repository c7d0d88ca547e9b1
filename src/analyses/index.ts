export {
  planAll,
  planAnalysis,
  resolveBudgets,
  type AnalysisBudget,
  type AnalysisPlan,
  type PartitionPlan,
} from './plan.js';
export { type BoundedAggregate, type StatisticOutput, type StatisticPlan } from './statistics.js';
export { computeReleases, type BoundedObserver, type Window } from './release.js';
export { boundedAggregateSql } from './bounded-sql.js';
export { isClosed, monthWindow, monthsOf } from './windows.js';
