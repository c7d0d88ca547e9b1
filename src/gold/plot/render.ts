import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Release } from '../release.js';
import { FONT_FAMILY, fontFiles } from './font.js';
import { seriesChartSpec } from './series-spec.js';
import { releaseChartSpec } from './spec.js';

/** A rendered chart: the SVG Vega drew and a 2× PNG of it. */
export interface RenderedChart {
  readonly svg: string;
  readonly png: Buffer;
}

/** Charts carry their data inline; any attempt to load something is a bug, not a fetch to allow. */
const offlineLoader: vega.Loader = {
  load: (uri) => Promise.reject(new Error(`chart tried to load ${uri}`)),
  sanitize: (uri) => Promise.reject(new Error(`chart tried to load ${uri}`)),
  http: (uri) => Promise.reject(new Error(`chart tried to fetch ${uri}`)),
  file: (path) => Promise.reject(new Error(`chart tried to read ${path}`)),
};

/**
 * Renders a release as a bar chart with 95% intervals, to SVG (Vega, headless) and PNG (resvg,
 * with the bundled DejaVu Sans so text is drawn the same on every machine). Deterministic: the
 * same release gives the same bytes.
 *
 * @example
 * ```ts
 * const { svg, png } = await renderReleaseChart(release);
 * await gold.writeChart(release.analysis, windowId, { svg, png });
 * ```
 */
export async function renderReleaseChart(release: Release): Promise<RenderedChart> {
  // A daily series is a line with its band; anything else a bar per partition.
  const spec =
    release.partition_by === 'day' && release.partitions.length > 1
      ? seriesChartSpec(release)
      : releaseChartSpec(release);
  const vegaSpec = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', loader: offlineLoader });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const png = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: 2 },
  })
    .render()
    .asPng();
  return { svg, png };
}
