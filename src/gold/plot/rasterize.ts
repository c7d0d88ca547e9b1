import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { chartFontFiles, FONT_FAMILY } from './font.js';
import { encodePng } from './png-encode.js';

/** PNGs are drawn at twice the SVG's size, so text stays sharp on high-density screens... */
export const PNG_ZOOM = 2;

/**
 * ...but never with more than this many pixels. A chart of a hundred partitions is about
 * 900 × 3100 SVG pixels: at 2× its PNG would be 11 Mpx, and rasterizing and encoding it cost
 * ~0.4 s for a file few viewers open whole. Such charts are drawn at 1× (see {@link pngZoom}).
 * resvg's render of the GA360 year's 12 country charts (898 × 2382 to 898 × 3162, 2.1–2.8 Mpx at
 * 1×; median of 36, `new Resvg` excluded, 2-core machine under load): 35 ms at 1×, 61 ms at 1.02×,
 * 74 ms at 1.19× (what this cap gave them when it chose the largest zoom under it), 141 ms at 2×.
 * A 3 Mpx cap (1.02–1.18×) would save far less than drawing at 1× does, and would push every SVG
 * of 3 to 4 Mpx (up to ≈ 140 bars) below 1×, where text blurs; so the cap stays at 4 Mpx.
 */
export const PNG_MAX_PIXELS = 4_000_000;

/**
 * The zoom of the PNG of an SVG of this size: {@link PNG_ZOOM} when that stays under
 * {@link PNG_MAX_PIXELS}, else 1×, and only an SVG above the cap itself gets the largest zoom
 * under it. Never a zoom between 1 and 2: at 1× Vega's pixel-aligned rules and bars land
 * on whole pixels (sharp, and resvg draws such a chart in 57% of the time of 1.02×, see
 * {@link PNG_MAX_PIXELS}); a fractional zoom above 1 only blurs them over a few more pixels.
 */
export function pngZoom(width: number, height: number): number {
  // resvg rounds the pixel size up, and the cap must hold after that.
  for (const zoom of [PNG_ZOOM, 1]) {
    if (Math.ceil(width * zoom) * Math.ceil(height * zoom) <= PNG_MAX_PIXELS) return zoom;
  }
  const fit = Math.floor(Math.sqrt(PNG_MAX_PIXELS / (width * height)) * 100) / 100;
  return Math.max(0.01, fit);
}

/**
 * Draws a chart's SVG as a PNG with resvg and the shipped DejaVu Sans (no system fonts), so every
 * machine draws the same pixels, encoded by {@link encodePng}. Synchronous and CPU-bound:
 * `PngRasterizer` does the same off the main thread.
 *
 * @example
 * ```ts
 * const png = rasterizeSvg(svg);
 * ```
 */
export function rasterizeSvg(svg: string): Buffer {
  const image = new (resvg().Resvg)(svg, pngRenderOptions(svg)).render();
  return encodePng(image.pixels, image.width, image.height, zlib);
}

/** resvg's native module, loaded on the first PNG drawn on this thread (not by commands drawing none). */
let loaded: typeof import('@resvg/resvg-js') | undefined;
const resvg = (): typeof import('@resvg/resvg-js') =>
  (loaded ??= createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js'));

/** resvg's options for a chart's PNG: the chart fonts only, at {@link pngZoom}. */
export function pngRenderOptions(svg: string): ResvgRenderOptions {
  const { width, height } = svgSize(svg);
  return {
    font: { loadSystemFonts: false, fontFiles: chartFontFiles(svg), defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: pngZoom(width, height) },
  };
}

const ROOT_SIZE = /^<svg\b[^>]*?\swidth="([0-9.]+)"[^>]*?\sheight="([0-9.]+)"/;

/** The width and height of the root `<svg>` element, as Vega writes them. */
function svgSize(svg: string): { width: number; height: number } {
  const m = ROOT_SIZE.exec(svg);
  if (!m) throw new Error('chart SVG has no width and height on its root element');
  return { width: Number(m[1]), height: Number(m[2]) };
}
