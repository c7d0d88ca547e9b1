import { goldTrendKeys } from '../../lake/index.js';
import type { ObjectStore } from '../../storage/index.js';
import { renderSpec } from '../plot/index.js';
import type { Release } from '../release.js';
import { trendsOf, type Trend } from './model.js';
import { trendChartSpec } from './spec.js';

/**
 * Draws `gold/trends/<analysis>.svg|.png` for every analysis with more than one released window,
 * from the releases given (the release records), through the same offline Vega-Lite → SVG → PNG
 * path and font as the release charts. Post-processing of published releases: no budget is
 * spent, and rewriting them is always safe. Returns the trends drawn.
 *
 * @example
 * ```ts
 * const trends = await writeGoldTrends(lake.objects('gold'), records);
 * ```
 */
export async function writeGoldTrends(
  gold: ObjectStore,
  records: readonly { readonly release: Release; readonly windowId: string }[],
): Promise<Trend[]> {
  const trends = trendsOf(records);
  for (const trend of trends) {
    const { svg, png } = await renderSpec(trendChartSpec(trend));
    const keys = goldTrendKeys(trend.analysis);
    await gold.write(keys.svg, svg, { contentType: 'image/svg+xml' });
    await gold.write(keys.png, png, { contentType: 'image/png' });
  }
  return trends;
}
