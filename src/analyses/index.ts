export {
  planAll,
  planAnalysis,
  resolveBudgets,
  type AnalysisBudget,
  type AnalysisPlan,
  type PartitionPlan,
} from './plan.js';
export { type BoundedAggregate, type StatisticOutput, type StatisticPlan } from './statistics.js';
export {
  boundedAggregatesOfAll,
  computeReleases,
  releasesOf,
  type BoundedObserver,
  type BoundingJob,
  type Window,
  type WindowAggregates,
} from './release.js';
export { boundedAggregateSql } from './bounded-sql.js';
export { type SparkSilverSource } from './bounded-spark-sql.js';
export { abfssUris, sparkBoundedAggregatesOfAll } from './spark-aggregates.js';
export { isClosed, monthWindow, monthsOf } from './windows.js';
