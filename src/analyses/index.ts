export { planAll, planAnalysis, type AnalysisPlan, type CountPlan, type MeanPlan } from './plan.js';
export { computeReleases, type BoundedObserver, type Window } from './release.js';
export { boundedAggregateSql } from './bounded-sql.js';
export { isClosed, monthWindow, monthsOf } from './windows.js';
