import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The one font family every chart uses, in Vega's config and as resvg's default. */
export const FONT_FAMILY = 'DejaVu Sans';

let cached: string | undefined;

/** The regular face (see {@link fontFile}) and the bold one chart titles use. */
export function fontFiles(): string[] {
  return [fontFile(), fontFile().replace(/DejaVuSans\.ttf$/, 'DejaVuSans-Bold.ttf')];
}

/**
 * Absolute path of DejaVu Sans from the `dejavu-fonts-ttf` package. resvg draws text only with
 * the font files it is given (system fonts are off so every machine renders the same pixels).
 *
 * @example
 * ```ts
 * new Resvg(svg, { font: { loadSystemFonts: false, fontFiles: [fontFile()], defaultFontFamily: FONT_FAMILY } });
 * ```
 */
export function fontFile(): string {
  cached ??= join(
    dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
    'ttf',
    'DejaVuSans.ttf',
  );
  return cached;
}
