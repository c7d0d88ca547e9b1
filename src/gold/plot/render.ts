import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { Release } from '../release.js';
import type { PngRasterizer } from './png-rasterizer.js';
import { rasterizeSvg } from './rasterize.js';
import { releaseChartSpec } from './spec.js';

/** A rendered chart: the SVG Vega drew and a PNG of it (2×, or less for very tall charts). */
export interface RenderedChart {
  readonly svg: string;
  readonly png: Buffer;
}

/** Charts carry their data inline; any attempt to load something is a bug, not a fetch to allow. */
const offlineLoader: Vega.Loader = {
  load: (uri) => Promise.reject(new Error(`chart tried to load ${uri}`)),
  sanitize: (uri) => Promise.reject(new Error(`chart tried to load ${uri}`)),
  http: (uri) => Promise.reject(new Error(`chart tried to fetch ${uri}`)),
  file: (path) => Promise.reject(new Error(`chart tried to read ${path}`)),
};

/** Where a chart's PNG is drawn: on a {@link PngRasterizer}'s worker, or (default) right here. */
export interface RenderOptions {
  readonly rasterizer?: PngRasterizer;
}

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
export async function renderReleaseChart(release: Release, options?: RenderOptions): Promise<RenderedChart> {
  return renderSpec(releaseChartSpec(release), options);
}

/**
 * The SVG of a release's chart alone, for callers that rasterize it later (see
 * {@link PngRasterizer}); {@link renderReleaseChart} is this plus the PNG.
 *
 * @example
 * ```ts
 * const svg = await renderReleaseSvg(release);
 * const png = await rasterizer.rasterize(svg);
 * ```
 */
export async function renderReleaseSvg(release: Release): Promise<string> {
  return renderSvg(releaseChartSpec(release));
}

/**
 * Renders any Vega-Lite spec with inline data the way release charts are rendered (offline, the
 * shipped font, SVG plus a PNG, see {@link rasterizeSvg}), so every chart of the product looks alike.
 */
export async function renderSpec(spec: TopLevelSpec, options?: RenderOptions): Promise<RenderedChart> {
  const svg = await renderSvg(spec);
  const png = options?.rasterizer ? await options.rasterizer.rasterize(svg) : rasterizeSvg(svg);
  return { svg, png };
}

/**
 * Vega and Vega-Lite, loaded on the first chart: about 0.3 s of module loading that commands
 * drawing no chart (and runs releasing nothing) never pay.
 */
let libraries: Promise<{ vega: typeof Vega; vl: typeof import('vega-lite') }> | undefined;
const loadLibraries = (): NonNullable<typeof libraries> =>
  (libraries ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl })));

/**
 * The SVG alone of a Vega-Lite spec, drawn as {@link renderSpec} draws it: callers that may
 * skip the PNG (an unchanged chart) or draw it elsewhere.
 */
export async function renderSpecSvg(spec: TopLevelSpec): Promise<string> {
  return renderSvg(spec);
}

async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vl } = await loadLibraries();
  const vegaSpec = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', loader: offlineLoader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
