import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { chartFontFiles, FONT_FAMILY } from './font.js';
import { encodePng } from './png-encode.js';

/** PNGs are drawn at twice the SVG's size, so text stays sharp on high-density screens... */
export const PNG_ZOOM = 2;

/**
 * ...but never with more than this many pixels. A chart of a hundred partitions is about
 * 880 × 2900 SVG pixels: at 2× its PNG would be 10 Mpx, and rasterizing and encoding it cost
 * ~0.4 s for a file few viewers open whole. Such charts get the largest zoom that fits (still
 * above 1×); the SVG, the analyst's primary chart, is unaffected.
 */
export const PNG_MAX_PIXELS = 4_000_000;

/** The zoom of the PNG of an SVG of this size: {@link PNG_ZOOM}, or less to stay under {@link PNG_MAX_PIXELS}. */
export function pngZoom(width: number, height: number): number {
  // Rounded down to 1/100: resvg rounds the pixel size up, and the cap must hold after that.
  const fit = Math.floor(Math.sqrt(PNG_MAX_PIXELS / (width * height)) * 100) / 100;
  return Math.max(0.01, Math.min(PNG_ZOOM, fit));
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
