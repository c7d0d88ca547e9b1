/**
 * Charts of Gold releases: a Vega-Lite spec per release, rendered offline to SVG and PNG.
 *
 * @example
 * ```ts
 * import { renderReleaseChart } from '../gold/plot/index.js';
 * const { svg, png } = await renderReleaseChart(release);
 * ```
 */
export { fontFile } from './font.js';
export { ChartRasterError, PNG_WORKERS, PngRasterizer } from './png-rasterizer.js';
export { rasterizeSvg } from './rasterize.js';
export {
  renderReleaseChart,
  renderReleaseSvg,
  renderSpec,
  renderSpecSvg,
  type RenderedChart,
  type RenderOptions,
} from './render.js';
export { releaseChartSpec } from './spec.js';
export { isDateSeries, seriesChartSpec } from './series-spec.js';
export { chartConfig, privacyLine } from './style.js';
