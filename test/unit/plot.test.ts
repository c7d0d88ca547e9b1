import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { Resvg } from '@resvg/resvg-js';
import * as vl from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { fontFile, releaseChartSpec, renderReleaseChart } from '../../src/gold/plot/index.js';
import { PNG_MAX_PIXELS, pngZoom } from '../../src/gold/plot/rasterize.js';
import { RELEASE_SCHEMA, type Release, type ReleasePartition } from '../../src/gold/release.js';
import { sampleRelease } from '../helpers/release.js';

const OUT = join(import.meta.dirname, '../../test-output/plots');

const countPrivacy = {
  epsilon: 1,
  delta: 0,
  mechanism: 'discrete_laplace',
  noise_scale: 1,
  max_partitions_contributed: 1,
  max_contributions_per_partition: 1,
  interval_method: 'exact: value ± h under the discrete Laplace distribution',
} as const;

function countRelease(partitions: readonly ReleasePartition[]): Release {
  return sampleRelease({
    privacy: countPrivacy,
    guarantee: 'Differentially private for each visitor (ε = 1).',
    partitions,
  });
}

const count = (key: string, value: number, h = 3): ReleasePartition => ({
  key,
  value,
  ci95: [value - h, value + h],
});

const sessions = countRelease([
  count('Asia', 20876),
  count('Americas', 41234),
  count('Europe', 18012),
  count('Oceania', 1644),
  count('Africa', 903),
  count('(not set)', 512),
]);

const durations: Release = {
  schema: RELEASE_SCHEMA,
  analysis: 'avg_session_duration_per_device',
  statistic: 'mean',
  privacy_unit: 'user',
  partition_by: 'device_category',
  window: { start: '2016-08-01', end: '2016-08-31' },
  privacy: {
    ...countPrivacy,
    noise_scale: 2,
    sum_noise_scale: 1200000,
    granularity: 1024,
    bounds: [0, 600000],
    unit: 'ms',
    interval_method: 'exact, conservative: extremes of the mean over 97.5% intervals',
  },
  description: 'Average session duration',
  guarantee: 'Differentially private for each visitor (ε = 1).',
  partitions: [
    { key: 'desktop', value: 312456.5, ci95: [298011.2, 327890.4] },
    { key: 'mobile', value: 184210.1, ci95: [171032.9, 197455.3] },
    { key: 'tablet', value: 201877.8, ci95: [163004.1, 244321.7] },
  ],
  created_at: '2026-11-23T09:00:00.000Z',
  run_id: '20261123T090000Z-ab12cd',
};

/** Counts from 1 to 100 000 plus a partition pushed below zero by noise. */
const wideSpan = countRelease([
  count('Americas', 100000),
  count('Asia', 10000),
  count('Europe', 1000),
  count('Oceania', 100),
  count('Africa', 1),
  count('(not set)', -2),
]);

/** Tiny partitions where noise dominates: some values are negative. */
const tiny = countRelease([
  count('Americas', 12),
  count('Asia', 5),
  count('Europe', -3),
  count('(not set)', 0),
]);

/** Decodes a non-interlaced 8-bit RGBA PNG (what resvg writes) into its pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9], data[12]]).toEqual([8, 6, 0]);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter!]!;
      rgba[y * stride + x] = (cur + predictor) & 0xff;
    }
  }
  return { width, height, rgba };
}

/** Dark-grey-to-black opaque pixels in the top rows: there is only text there (title, subtitle). */
function inkInTitleBand(png: Buffer): number {
  const { width, height, rgba } = decodePng(png);
  let dark = 0;
  for (let y = 0; y < Math.floor(height * 0.15); y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (rgba[i + 3]! > 200 && rgba[i]! < 120 && rgba[i + 1]! < 120 && rgba[i + 2]! < 120) dark++;
    }
  }
  return dark;
}

function symlogUsed(release: Release): boolean {
  return JSON.stringify(vl.compile(releaseChartSpec(release) as vl.TopLevelSpec).spec.scales).includes(
    '"symlog"',
  );
}

describe('renderReleaseChart', () => {
  const fixtures = { sessions, durations, 'wide-span': wideSpan, tiny };

  it.each(Object.entries(fixtures))(
    'renders the %s release to an SVG with its title and keys, and a PNG',
    async (name, release) => {
      const { svg, png } = await renderReleaseChart(release);
      mkdirSync(OUT, { recursive: true });
      writeFileSync(join(OUT, `${name}.png`), png);
      writeFileSync(join(OUT, `${name}.svg`), svg);
      const title =
        release.analysis === 'sessions_per_continent'
          ? 'Sessions by continent'
          : 'Average session duration by device';
      expect(svg).toContain(`${title} — 2016-08-01 to 2016-08-31`);
      expect(svg).toContain('Differentially private (ε = 1, per visitor)');
      for (const p of release.partitions) expect(svg).toContain(`>${p.key.replace('(', '(')}<`);
      expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
      expect(png.length).toBeGreaterThan(10_000);
      const { width } = decodePng(png);
      expect(width).toBeGreaterThanOrEqual(1200);
    },
  );

  it('labels axes with the quantity and its unit, and prints numbers with thousands separators', async () => {
    const counts = (await renderReleaseChart(sessions)).svg;
    expect(counts).toContain('Sessions (count)');
    expect(counts).toContain('41,234');
    const means = (await renderReleaseChart(durations)).svg;
    expect(means).toContain('Average session duration (ms)');
    expect(means).toContain('312,457');
  });

  it('sorts partitions by value, largest first: axis labels, bars and value labels, on every layer', async () => {
    const expected = ['Americas', 'Asia', 'Europe', 'Oceania', 'Africa', '(not set)'];
    const spec = releaseChartSpec(sessions) as {
      data: { values: { key: string }[] };
      layer: { encoding: { y?: { sort: unknown } } }[];
    };
    // The data is in bar order and no layer re-sorts it.
    expect(spec.data.values.map((r) => r.key)).toEqual(expected);
    const sorts = spec.layer.flatMap((layer) => (layer.encoding.y ? [layer.encoding.y.sort] : []));
    expect(sorts).toEqual([null, null, null]);

    const { svg } = await renderReleaseChart(sessions);
    const topToBottom = (pattern: RegExp): string[] =>
      [...svg.matchAll(pattern)].sort((a, b) => Number(a[2]) - Number(b[2])).map((m) => m[1]!);
    const bars = /key: ([^";]+)" role="graphics-symbol" aria-roledescription="bar" d="M[-\d.e]+,([-\d.e]+)/g;
    const values =
      /key: ([^";]+); value: [^"]*"[^>]* aria-roledescription="text mark"[^>]* transform="translate\([-\d.e]+,([-\d.e]+)\)"/g;
    const axisLabels =
      /<text text-anchor="end" transform="translate\([-\d.e]+,([-\d.e]+)\)"[^>]*>([^<]+)<\/text>/g;
    expect(topToBottom(bars)).toEqual(expected);
    expect(topToBottom(values)).toEqual(expected);
    const labels = [...svg.matchAll(axisLabels)].sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => m[2]);
    expect(labels).toEqual(expected);
  });

  it('compiles without Vega-Lite warnings (a dropped sort would warn)', () => {
    const warnings: unknown[] = [];
    const logger = {
      level: () => logger,
      error: (...m: unknown[]) => (warnings.push(m), logger),
      warn: (...m: unknown[]) => (warnings.push(m), logger),
      info: () => logger,
      debug: () => logger,
    };
    for (const release of Object.values(fixtures))
      vl.compile(releaseChartSpec(release) as vl.TopLevelSpec, { logger });
    expect(warnings).toEqual([]);
  });

  it('draws text into the PNG with the bundled font (and would not without it)', async () => {
    const { svg, png } = await renderReleaseChart(sessions);
    expect(inkInTitleBand(png)).toBeGreaterThan(2000);
    // Control: the same SVG without font files draws no text at all, silently.
    const fontless = new Resvg(svg, {
      font: { loadSystemFonts: false, fontFiles: [] },
      fitTo: { mode: 'zoom', value: 2 },
    })
      .render()
      .asPng();
    expect(inkInTitleBand(fontless)).toBe(0);
    expect(fontFile()).toMatch(/DejaVuSans\.ttf$/);
  });

  it('switches to a log (symlog) scale when positive values span more than two orders of magnitude', async () => {
    expect(symlogUsed(wideSpan)).toBe(true);
    expect((await renderReleaseChart(wideSpan)).svg).toContain('Sessions (count, log scale)');
    expect(symlogUsed(sessions)).toBe(false);
    expect(symlogUsed(durations)).toBe(false);
    expect(symlogUsed(tiny)).toBe(false);
  });

  it('renders negative values on an axis whose domain includes them', async () => {
    const { svg } = await renderReleaseChart(tiny);
    expect(svg).toContain('>−3<');
    // Vega's accessible axis description states the domain: it must reach the lowest whisker (−6).
    expect(svg).toMatch(/X-axis titled 'Sessions \(count\)' for a linear scale with values from −6 to/);
    const wide = (await renderReleaseChart(wideSpan)).svg;
    expect(wide).toContain('>−2<');
    expect(wide).toMatch(/for a symlog scale with values from −10 to/);
  });

  it('is deterministic: the same release renders to the same bytes', async () => {
    const a = await renderReleaseChart(durations);
    const b = await renderReleaseChart(durations);
    expect(a.svg).toBe(b.svg);
    expect(a.png.equals(b.png)).toBe(true);
  });

  it('draws the PNG at 2× the SVG, and tall charts at 1× when 2× would be over the pixel cap', async () => {
    const svgSize = (svg: string): number[] =>
      /width="([0-9.]+)" height="([0-9.]+)"/.exec(svg)!.slice(1).map(Number);
    const small = await renderReleaseChart(sessions);
    const [w, h] = svgSize(small.svg);
    expect(decodePng(small.png)).toMatchObject({ width: 2 * w!, height: 2 * h! });

    const many = countRelease(Array.from({ length: 120 }, (_, i) => count(`Country ${i}`, 5000 - 30 * i)));
    const tall = await renderReleaseChart(many);
    const [tw, th] = svgSize(tall.svg);
    expect(tw! * th! * 4).toBeGreaterThan(PNG_MAX_PIXELS); // 2× would be over the cap
    expect(decodePng(tall.png)).toMatchObject({ width: tw, height: th });
  });

  it('chooses 2×, else 1×, else the largest zoom under the pixel cap', () => {
    expect(pngZoom(774, 311)).toBe(2);
    expect(pngZoom(1000, 1000)).toBe(2);
    expect(pngZoom(1001, 1000)).toBe(1);
    expect(pngZoom(898, 3162)).toBe(1); // the GA360 year's tallest country chart
    expect(pngZoom(2000, 2000)).toBe(1);
    for (const [w, h] of [
      [2001, 2000],
      [880, 4600],
      [640, 30000],
      [3000, 3000],
    ] as const) {
      const z = pngZoom(w, h);
      expect(z).toBeLessThan(1);
      expect(Math.ceil(w * z) * Math.ceil(h * z)).toBeLessThanOrEqual(PNG_MAX_PIXELS);
      expect(Math.ceil(w * (z + 0.02)) * Math.ceil(h * (z + 0.02))).toBeGreaterThan(PNG_MAX_PIXELS);
    }
  });
});
