import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import subsetFont from 'subset-font';
import { describe, expect, it } from 'vitest';
import {
  CHART_FONT_FACES,
  CHART_SUBSET_RANGES,
  chartFontFiles,
  FONT_FAMILY,
  fontFile,
  fontFiles,
  subsetCovers,
} from '../../src/gold/plot/font.js';
import { renderReleaseChart } from '../../src/gold/plot/index.js';
import type { Release } from '../../src/gold/release.js';
import { sampleRelease } from '../helpers/release.js';

const FONTS = join(import.meta.dirname, '../../fonts');

function countries(keys: readonly string[]): Release {
  return sampleRelease({
    analysis: 'sessions_per_country',
    partition_by: 'country',
    privacy: { ...sampleRelease().privacy, delta: 1e-6 },
    partitions: keys.map((key, i) => ({ key, value: 1000 - 37 * i, ci95: [990 - 37 * i, 1010 - 37 * i] })),
  });
}

function pixels(svg: string, files: string[]): Buffer {
  return new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: files, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: 2 },
  }).render().pixels;
}

describe('chart font subset', () => {
  it('ships fonts/*-charts.ttf exactly as generated from DejaVu Sans', async () => {
    // DP_UPDATE_FONTS=1 npx vitest run test/unit/chart-font.test.ts regenerates them.
    let text = '';
    for (const [a, b] of CHART_SUBSET_RANGES) for (let c = a; c <= b; c++) text += String.fromCodePoint(c);
    for (const face of CHART_FONT_FACES) {
      const full = await readFile(join(dirname(fontFile()), face.full));
      const subset = await subsetFont(full, text, { targetFormat: 'truetype', noHinting: true });
      if (process.env.DP_UPDATE_FONTS === '1') await writeFile(join(FONTS, face.subset), subset);
      expect((await readFile(join(FONTS, face.subset))).equals(subset), `${face.subset} is stale`).toBe(true);
    }
  });

  it('draws the same pixels as the full font', async () => {
    const accented = countries([
      'United States',
      'Côte d’Ivoire',
      'Curaçao',
      'Réunion',
      'Åland Islands',
      'Türkiye',
    ]);
    const { svg } = await renderReleaseChart(accented);
    expect(subsetCovers(svg)).toBe(true);
    expect(chartFontFiles(svg)[0]).toMatch(/DejaVuSans-charts\.ttf$/);
    expect(pixels(svg, chartFontFiles(svg)).equals(pixels(svg, fontFiles()))).toBe(true);
  });

  it('falls back to the full font for text the subset does not cover', async () => {
    const { svg } = await renderReleaseChart(countries(['Россия', 'България']));
    expect(subsetCovers(svg)).toBe(false);
    expect(chartFontFiles(svg)).toEqual(fontFiles());
    // Control: the subset alone would drop the Cyrillic glyphs.
    const subset = CHART_FONT_FACES.map((f) => join(FONTS, f.subset));
    expect(pixels(svg, subset).equals(pixels(svg, fontFiles()))).toBe(false);
  });

  it('checks characters written as character references too', () => {
    expect(subsetCovers('<svg><text>&#956;&#x3b5;</text></svg>')).toBe(true);
    expect(subsetCovers('<svg><text>&#x416;</text></svg>')).toBe(false);
    expect(subsetCovers('<svg><text>&#1046;</text></svg>')).toBe(false);
  });
});
