/**
 * Trends across windows: per analysis with more than one released window, a chart of every
 * partition's value and 95% interval over the windows, with gaps where nothing was released.
 * Post-processing of the published releases (no privacy budget).
 *
 * @example
 * ```ts
 * import { writeGoldTrends } from '../gold/trends/index.js';
 * await writeGoldTrends(lake.objects('gold'), records);
 * ```
 */
export { writeGoldTrends } from './write.js';
export { trendChartSpec } from './spec.js';
export {
  addDays,
  TOP_PARTITIONS,
  trendOf,
  trendPoints,
  trendsOf,
  type Trend,
  type TrendCell,
  type TrendGap,
  type TrendPoint,
  type TrendWindow,
} from './model.js';
