import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The one font family every chart uses, in Vega's config and as resvg's default. */
export const FONT_FAMILY = 'DejaVu Sans';

/**
 * Unicode ranges of the chart subset of DejaVu Sans shipped in `fonts/`: Latin (basic, Latin-1,
 * extended A and B), Greek, general punctuation, currency and letterlike symbols, arrows and
 * mathematical operators. Every chart of the built-in analyses needs only these.
 */
export const CHART_SUBSET_RANGES: readonly (readonly [number, number])[] = [
  [0x20, 0x7e],
  [0xa0, 0x24f],
  [0x370, 0x3ff],
  [0x2000, 0x206f],
  [0x20a0, 0x20bf],
  [0x2100, 0x214f],
  [0x2190, 0x21ff],
  [0x2200, 0x22ff],
];

/** The two faces charts use (titles are bold), as file names of the full font and of its subset. */
export const CHART_FONT_FACES = [
  { full: 'DejaVuSans.ttf', subset: 'DejaVuSans-charts.ttf' },
  { full: 'DejaVuSans-Bold.ttf', subset: 'DejaVuSans-Bold-charts.ttf' },
] as const;

const uncovered = new RegExp(
  `[^\\t\\n\\r${CHART_SUBSET_RANGES.map(([a, b]) => `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`).join('')}]`,
  'u',
);
const CHAR_REF = /&#(x[0-9a-f]+|[0-9]+);/gi;

let fullDir: string | undefined;
let subsetDir: string | undefined;

/** The regular face (see {@link fontFile}) and the bold one chart titles use. */
export function fontFiles(): string[] {
  fullDir ??= dirname(fontFile());
  return CHART_FONT_FACES.map((f) => join(fullDir!, f.full));
}

/**
 * The font files to draw `svg` with: the shipped subset when it covers every character of the
 * SVG, else the full DejaVu Sans. Both draw the same pixels (the subset keeps the glyphs, their
 * metrics, kerning and layout tables, and drops only the hinting resvg does not use), but
 * resvg-js 2.6 re-reads the whole font file for every glyph it draws, and the 740 KB full faces
 * made text most of the cost of a chart with a hundred labels.
 *
 * @example
 * ```ts
 * new Resvg(svg, { font: { loadSystemFonts: false, fontFiles: chartFontFiles(svg), defaultFontFamily: FONT_FAMILY } });
 * ```
 */
export function chartFontFiles(svg: string): string[] {
  if (!subsetCovers(svg)) return fontFiles();
  subsetDir ??= findSubsetDir();
  return CHART_FONT_FACES.map((f) => join(subsetDir!, f.subset));
}

/** Whether every character of `svg`, also those written as character references, is in the subset. */
export function subsetCovers(svg: string): boolean {
  if (uncovered.test(svg)) return false;
  for (const [, ref] of svg.matchAll(CHAR_REF)) {
    const code = ref![0] === 'x' || ref![0] === 'X' ? parseInt(ref!.slice(1), 16) : parseInt(ref!, 10);
    if (!CHART_SUBSET_RANGES.some(([a, b]) => code >= a && code <= b)) return false;
  }
  return true;
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
  return join(
    dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
    'ttf',
    'DejaVuSans.ttf',
  );
}

/** `fonts/` at the package root, from `src/gold/plot/` (tests) or `dist/src/gold/plot/` (built). */
function findSubsetDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of [
    ['..', '..', '..'],
    ['..', '..', '..', '..'],
  ]) {
    const dir = join(here, ...up, 'fonts');
    if (existsSync(join(dir, CHART_FONT_FACES[0].subset))) return dir;
  }
  throw new Error(
    `chart font subset ${CHART_FONT_FACES[0].subset} is missing from the package's fonts/ directory`,
  );
}
