import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDateSeries, releaseChartSpec, renderReleaseChart } from '../../src/gold/plot/index.js';
import { RELEASE_SCHEMA, type Release } from '../../src/gold/release.js';

const OUT = join(import.meta.dirname, '../../test-output/plots');

/** A DAU-like series in the release@1 format: one partition per day, deliberately out of order. */
function dailySeries(days: number): Release {
  const partitions = Array.from({ length: days }, (_, i) => {
    const day = `2016-08-${String(i + 1).padStart(2, '0')}`;
    const value = 2400 + 300 * Math.sin(i / 2) + (i % 7 === 5 ? -900 : 0);
    return { key: day, value, ci95: [value - 40, value + 40] as const };
  }).reverse();
  return {
    schema: RELEASE_SCHEMA,
    analysis: 'dau',
    statistic: 'privacy_id_count' as Release['statistic'],
    privacy_unit: 'user',
    partition_by: 'date',
    window: { start: '2016-08-01', end: '2016-08-31' },
    privacy: {
      epsilon: 0.5,
      delta: 1e-6,
      mechanism: 'discrete_gaussian' as Release['privacy']['mechanism'],
      noise_scale: 20,
      max_partitions_contributed: 31,
      max_contributions_per_partition: 1,
      interval_method: 'exact',
    },
    description: 'Daily active visitors',
    guarantee: 'Any one visitor …',
    partitions,
    created_at: '2026-11-23T09:00:00.000Z',
    run_id: '20261123T090000Z-ab12cd',
  };
}

describe('charts of daily series', () => {
  it('recognizes a series only when every key is a date', () => {
    const series = dailySeries(5);
    expect(isDateSeries(series)).toBe(true);
    const mixed = {
      ...series,
      partitions: [...series.partitions, { key: 'Europe', value: 1, ci95: [0, 2] as const }],
    };
    expect(isDateSeries(mixed)).toBe(false);
    expect(isDateSeries({ ...series, partitions: [] })).toBe(false);
  });

  it('draws a line in date order with a 95% band, not bars', () => {
    const spec = releaseChartSpec(dailySeries(31)) as unknown as {
      layer: { mark: { type: string } }[];
      data: { values: { day: string }[] };
    };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['area', 'line']);
    const days = spec.data.values.map((v) => v.day);
    expect(days).toEqual([...days].sort());
    expect(days[0]).toBe('2016-08-01');
  });

  it('renders offline with the shipped font, naming ε and δ', async () => {
    const { svg, png } = await renderReleaseChart(dailySeries(31));
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'daily-series.png'), png);
    expect(svg).toContain('Daily active visitors per day');
    expect(svg).toContain('δ = 0.000001');
    expect(svg).toContain('band: 95% interval');
    expect(svg).toMatch(/Aug 0?1/);
    expect(svg).not.toMatch(/<rect[^>]*class="mark-rect/); // no bars
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
