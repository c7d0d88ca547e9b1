import { describe, expect, it } from 'vitest';
import { renderSpec } from '../../src/gold/plot/index.js';
import {
  trendChartSpec,
  trendOf,
  trendPoints,
  trendsOf,
  writeGoldTrends,
} from '../../src/gold/trends/index.js';
import { tempLake } from '../helpers/lake.js';
import { syntheticYear, type WindowedRelease } from '../helpers/release-year.js';

const of = (records: readonly WindowedRelease[], analysis: string) =>
  records.filter((r) => r.release.analysis === analysis);

/** The aria labels of the chart's point symbols (one per drawn point, e.g. "Window: Aug 2016; …; continent: Asia"). */
function pointLabels(svg: string): string[] {
  const groups = [...svg.matchAll(/<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].map(
    (m) => m[1]!,
  );
  return groups.flatMap((g) => [...g.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1]!));
}

/** How many separate pieces the line of `series` is drawn in (subpaths of its SVG path). */
function linePieces(svg: string, series: string): number {
  const lines = [...svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].map(
    (m) => m[1]!,
  );
  const path = lines
    .flatMap((g) => [...g.matchAll(/<path [^>]*aria-label="([^"]*)"[^>]*d="([^"]*)"/g)])
    .find((m) => m[1]!.endsWith(`: ${series}`));
  if (!path) throw new Error(`no line for ${series}`);
  return (path[2]!.match(/M/g) ?? []).length;
}

describe('trends across windows', () => {
  const year = syntheticYear({ skip: { sessions_per_continent: ['2017-02'], mau: ['2016-12-31-w30'] } });

  it('exist for every analysis with more than one released window, and only those', () => {
    const records = [...year, ...syntheticYear({ months: 1, from: '2016-08', activeUsers: false, seed: 'x' })]
      .filter((r) => r.release.analysis !== 'pageviews_per_device' || r.windowId === '2016-08')
      .filter(
        (r, i, all) =>
          all.findIndex((o) => o.release.analysis === r.release.analysis && o.windowId === r.windowId) === i,
      );
    expect(trendsOf(records).map((t) => t.analysis)).toEqual([
      'avg_session_duration_per_device',
      'dau_series',
      'mau',
      'mau_series',
      'sessions_per_continent',
      'sessions_per_country',
    ]);
    expect(trendOf(of(records, 'pageviews_per_device'))).toBeUndefined();
  });

  it('draw every released window as a point and a missing window as a break, never as a zero', async () => {
    const trend = trendOf(of(year, 'sessions_per_continent'))!;
    expect(trend.windows.map((w) => w.windowId)).toHaveLength(11);
    expect(trend.gaps).toEqual([{ start: '2017-02-01', end: '2017-02-28' }]);
    const points = trendPoints(trend);
    // The gap is a null point between January and March on every line.
    const americas = points.filter((p) => p.series === 'Americas');
    expect(americas.map((p) => p.x)).toContain('2017-02-01');
    expect(americas.find((p) => p.x === '2017-02-01')).toMatchObject({ value: null, lo: null, hi: null });
    // Every released value and interval is drawn exactly as released.
    for (const { release, windowId } of of(year, 'sessions_per_continent')) {
      for (const p of release.partitions) {
        const drawn = points.find((q) => q.series === p.key && q.x === release.window.start);
        expect(drawn, `${p.key} ${windowId}`).toEqual({
          series: p.key,
          x: release.window.start,
          value: p.value,
          lo: p.ci95[0],
          hi: p.ci95[1],
          isolated: false,
        });
      }
    }

    const { svg } = await renderSpec(trendChartSpec(trend));
    const labels = pointLabels(svg);
    expect(labels).toHaveLength(11 * 6);
    for (const month of ['Aug 2016', 'Jan 2017', 'Mar 2017', 'Jul 2017']) {
      for (const continent of ['Americas', 'Asia', 'Europe', 'Oceania', 'Africa', '(not set)']) {
        expect(
          labels.filter((l) => l.startsWith(`Window: ${month};`) && l.endsWith(`continent: ${continent}`)),
        ).toHaveLength(1);
      }
    }
    expect(labels.some((l) => l.startsWith('Window: Feb 2017;'))).toBe(false);
    expect(linePieces(svg, 'Americas')).toBe(2);
    expect(svg).toMatch(/<text[^>]*>not released<\/text>/);
    expect(svg).toContain('no extra privacy budget');
  });

  it('draw the top partitions by total and leave the rest to the table, breaking where a key was not selected', () => {
    const trend = trendOf(of(year, 'sessions_per_country'))!;
    expect(trend.selected).toBe(true);
    expect(trend.shown).toHaveLength(8);
    expect(trend.series.length).toBeGreaterThan(100);
    const total = (key: string) => [...trend.cells.get(key)!.values()].reduce((s, c) => s + c.value, 0);
    const totals = trend.series.map(total);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    expect(trend.shown[0]).toBe('United States');
    // A small country selected in some months only: its absent months are breaks in its line.
    const sometimes = trend.series.find(
      (k) => trend.cells.get(k)!.size > 1 && trend.cells.get(k)!.size < 12,
    )!;
    const shown = { ...trend, shown: [sometimes] };
    const points = trendPoints(shown);
    expect(points).toHaveLength(12);
    expect(points.filter((p) => p.value === null)).toHaveLength(12 - trend.cells.get(sometimes)!.size);
  });

  it('follow the cadence of day releases: MAU at month ends is one line, a missing month end a gap', async () => {
    const trend = trendOf(of(year, 'mau'))!;
    expect(trend.kind).toBe('days');
    expect(trend.gaps).toEqual([{ start: '2016-12-01', end: '2017-01-30' }]);
    const points = trendPoints(trend);
    expect(points.filter((p) => p.value === null).map((p) => p.x)).toEqual(['2016-12-01']);
    const { svg } = await renderSpec(trendChartSpec(trend));
    expect(pointLabels(svg)).toHaveLength(11);

    const daily = syntheticYear({
      months: 1,
      dailyDau: true,
      activeUsers: false,
      skip: { dau: ['2016-08-10'] },
    });
    const dau = trendOf(of(daily, 'dau'))!;
    expect(dau.gaps).toEqual([{ start: '2016-08-10', end: '2016-08-10' }]);
    const dauPoints = trendPoints(dau);
    expect(dauPoints.filter((p) => p.value === null).map((p) => p.x)).toEqual(['2016-08-10']);
    expect(dauPoints.find((p) => p.x === '2016-08-31')?.value).toBe(
      of(daily, 'dau').at(-1)!.release.partitions[0]!.value,
    );
  });

  it('mark a lone released window between gaps with its interval, as it has no band', () => {
    const lone = of(year, 'sessions_per_continent').filter((r) =>
      ['2016-08', '2016-10', '2016-11'].includes(r.windowId),
    );
    const points = trendPoints(trendOf(lone)!).filter((p) => p.series === 'Americas');
    expect(points.map((p) => [p.x, p.isolated])).toEqual([
      ['2016-08-01', true],
      ['2016-09-01', false],
      ['2016-10-01', false],
      ['2016-11-01', false],
    ]);
  });

  it('are written to gold/trends/<analysis>.svg and .png', async () => {
    const { lake, cleanup } = await tempLake();
    try {
      const records = syntheticYear({ months: 2, activeUsers: false });
      const trends = await writeGoldTrends(lake.objects('gold'), records);
      expect(trends.map((t) => t.analysis)).toHaveLength(4);
      for (const t of trends) {
        const svg = (await lake.objects('gold').read(`trends/${t.analysis}.svg`)).toString('utf8');
        expect(svg.startsWith('<svg')).toBe(true);
        const png = await lake.objects('gold').read(`trends/${t.analysis}.png`);
        expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      }
    } finally {
      await cleanup();
    }
  });

  it('leaves an unchanged trend as it is and redraws one whose chart changed or whose PNG is missing', async () => {
    const { lake, cleanup } = await tempLake();
    try {
      const gold = lake.objects('gold');
      const two = syntheticYear({ months: 2, activeUsers: false });
      await writeGoldTrends(gold, two);
      const marker = Buffer.from('not redrawn');
      await gold.write('trends/sessions_per_continent.png', marker);
      await gold.write('trends/pageviews_per_device.png', marker);
      await gold.delete('trends/avg_session_duration_per_device.png');
      await writeGoldTrends(gold, two);
      expect((await gold.read('trends/sessions_per_continent.png')).equals(marker)).toBe(true);
      const redrawn = await gold.read('trends/avg_session_duration_per_device.png');
      expect(redrawn.subarray(1, 4).toString('latin1')).toBe('PNG');

      // A third month changes every trend's SVG: each PNG is drawn again.
      const three = syntheticYear({ months: 3, activeUsers: false });
      await writeGoldTrends(gold, three);
      for (const analysis of ['sessions_per_continent', 'pageviews_per_device']) {
        const png = await gold.read(`trends/${analysis}.png`);
        expect(png.subarray(1, 4).toString('latin1'), analysis).toBe('PNG');
      }
    } finally {
      await cleanup();
    }
  });
});
