import { goldTrendKeys } from '../../lake/index.js';
import type { ObjectStore } from '../../storage/index.js';
import { rasterizeSvg, renderSpecSvg } from '../plot/index.js';
import type { Release } from '../release.js';
import { trendsOf, type Trend } from './model.js';
import { trendChartSpec } from './spec.js';

/**
 * Draws `gold/trends/<analysis>.svg|.png` for every analysis with more than one released window,
 * from the releases given (the release records), through the same offline Vega-Lite → SVG → PNG
 * path and font as the release charts. Post-processing of published releases: no budget is
 * spent, and rewriting them is always safe. A trend whose SVG is the stored one and whose PNG
 * exists is left as it is (its PNG would be the same bytes). Returns the trends.
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
    const svg = await renderSpecSvg(trendChartSpec(trend));
    const keys = goldTrendKeys(trend.analysis);
    if (await unchanged(gold, keys, svg)) continue;
    // PNG first: a stored SVG equal to the new one then implies its PNG was written too.
    await gold.write(keys.png, rasterizeSvg(svg), { contentType: 'image/png' });
    await gold.write(keys.svg, svg, { contentType: 'image/svg+xml' });
  }
  return trends;
}

/** Whether `svg` is already published, with the PNG written before it. */
async function unchanged(
  gold: ObjectStore,
  keys: { svg: string; png: string },
  svg: string,
): Promise<boolean> {
  if (!(await gold.head(keys.png))) return false;
  if (!(await gold.head(keys.svg))) return false;
  return (await gold.read(keys.svg)).toString('utf8') === svg;
}
