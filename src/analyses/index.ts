export {
  AUTO_PLACEHOLDER_HI,
  planAll,
  planAnalysis,
  resolveBudgets,
  type AnalysisBudget,
  type AnalysisPlan,
  type BoundSelectionPlan,
  type BoundsSelectionRecord,
  type ChosenBounds,
  type PartitionPlan,
} from './plan.js';
export { chooseBounds, selectBoundsForWindow, selectionModel } from './bound-selection.js';
export {
  CONTRIBUTION_BUCKETS,
  exactProfiles,
  noisyProfile,
  type ContributionProfile,
} from './contribution-profile.js';
export { type BoundedAggregate, type StatisticOutput, type StatisticPlan } from './statistics.js';
export {
  boundedAggregatesOfAll,
  computeReleases,
  boundWithSelection,
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
