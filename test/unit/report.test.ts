import { describe, expect, it } from 'vitest';
import { renderReleaseChart, renderSpec } from '../../src/gold/plot/index.js';
import { trendChartSpec, trendsOf } from '../../src/gold/trends/index.js';
import type { Release } from '../../src/gold/release.js';
import { renderReport, type ReportRelease } from '../../src/gold/report/index.js';
import { inlineSvg } from '../../src/gold/report/html.js';
import { sampleRelease } from '../helpers/release.js';

function release(over: Partial<Release> & Pick<Release, 'analysis' | 'partitions'>): Release {
  return sampleRelease(over);
}

const p = (key: string, value: number, h = 3) => ({ key, value, ci95: [value - h, value + h] as const });

async function entry(r: Release, windowId = r.window.start.slice(0, 7)): Promise<ReportRelease> {
  const base = `releases/${r.analysis}/${windowId}`;
  return {
    release: r,
    windowId,
    links: { json: `${base}.json`, svg: `${base}.svg`, png: `${base}.png` },
    svg: (await renderReleaseChart(r)).svg,
  };
}

const hostile = release({
  analysis: 'hostile',
  description: '<script>alert("d")</script>',
  partition_by: 'continent',
  partitions: [p('<img src=x onerror=alert(1)>', 50), p('"quoted" & \'single\'', 20)],
});

describe('the Gold report page', () => {
  it('escapes every inserted string, in the page and in the inlined charts', async () => {
    const html = renderReport({
      generatedAt: '2026-11-23T10:00:00.000Z',
      releases: [await entry(hostile)],
      budgets: [],
    });
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert');
    expect(html.match(/<script\b/g)).toHaveLength(1); // the page's own filter script
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('needs nothing from the network and keeps chart ids unique', async () => {
    const september = { start: '2016-09-01', end: '2016-09-30' };
    const releases = [
      await entry(release({ analysis: 'a', partitions: [p('Europe', 10)] })),
      await entry(release({ analysis: 'a', window: september, partitions: [p('Europe', 12)] })),
      await entry(release({ analysis: 'b', partitions: [p('Asia', 10)] })),
      await entry(release({ analysis: 'b', window: september, partitions: [p('Asia', 11)] })),
    ];
    const trendCharts = new Map<string, string>();
    for (const t of trendsOf(releases))
      trendCharts.set(t.analysis, (await renderSpec(trendChartSpec(t))).svg);
    expect(trendCharts.size).toBe(2);
    const html = renderReport({
      generatedAt: '2026-11-23T10:00:00.000Z',
      releases,
      budgets: [],
      trendCharts,
    });
    expect(html.match(/<svg\b/g)).toHaveLength(4); // two trends, two latest windows
    expect(html).not.toMatch(/<link\b(?![^>]*href="data:,")|\ssrc=|@import|url\(\s*['"]?(https?:)?\/\//);
    for (const href of html.matchAll(/href="([^"]*)"/g)) expect(href[1]).not.toMatch(/^(https?:)?\/\//);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(4);
    expect(new Set(ids).size).toBe(ids.length);
    // Vega emits clip paths for clipped marks: their ids must not collide between charts.
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"/></svg>';
    expect(inlineSvg(svg, 'c3')).toBe(
      '<svg><defs><clipPath id="c3-clip1"><rect/></clipPath></defs><g clip-path="url(#c3-clip1)"/></svg>',
    );
  });

  it('shows every release with its values sorted, intervals, window, time and plain-words guarantee', async () => {
    const counts = release({
      analysis: 'sessions_per_continent',
      partitions: [p('Asia', 200), p('Americas', 900), p('Africa', 5)],
    });
    const html = renderReport({
      generatedAt: '2026-11-23T10:00:00.000Z',
      releases: [await entry(counts)],
      budgets: [],
    });
    const table = html.slice(html.indexOf('<table class="values">'));
    const keys = [...table.matchAll(/<tr><th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(keys).toEqual(['Americas', 'Asia', 'Africa']);
    expect(table).toContain('897 – 903');
    expect(html).toContain('August 2016');
    expect(html).toContain('2026-11-23 09:00:00 UTC');
    expect(html).toContain('across all their sessions in August 2016');
    expect(html).toContain('changes each number by at most 1');
    expect(html).toContain('e^1 ≈ 2.72');
  });

  it('handles statistics, mechanisms and partition selection it does not know by name', async () => {
    const future = release({
      analysis: 'median_pageviews',
      statistic: 'quantile_50' as Release['statistic'],
      privacy: {
        ...release({ analysis: 'x', partitions: [] }).privacy,
        delta: 1e-6,
        mechanism: 'discrete_gaussian' as Release['privacy']['mechanism'],
        bounds: [0, 50],
        unit: 'pageviews',
      },
      partitions: [p('Europe', 3.5, 0.5)],
    });
    const selected = { ...future, analysis: 'selected', partition_selection: { threshold: 30 } } as Release;
    const html = renderReport({
      generatedAt: '2026-11-23T10:00:00.000Z',
      releases: [await entry(future), await entry({ ...selected, partitions: [] })],
      budgets: [],
    });
    expect(html).toContain('statistic: quantile 50');
    expect(html).toContain('discrete Gaussian noise');
    expect(html).toContain('except with probability at most δ = 0.000001');
    expect(html).toContain('clamped to 0–50 pageviews');
    expect(html).not.toContain('class="aside"'); // pageviews are not a duration
    expect(html).toContain('private partition selection');
    expect(html).toContain('No partition had enough visitors to be selected');
  });

  it('says durations in minutes next to milliseconds', async () => {
    const durations = release({
      analysis: 'avg_session_duration_per_device',
      statistic: 'mean',
      privacy: { ...release({ analysis: 'x', partitions: [] }).privacy, bounds: [0, 600000], unit: 'ms' },
      partitions: [p('desktop', 198379.5, 120.25), p('mobile', 42000.5, 10)],
    });
    const html = renderReport({
      generatedAt: '2026-11-23T10:00:00.000Z',
      releases: [await entry(durations)],
      budgets: [],
    });
    expect(html).toContain('198,380 <span class="aside">(3 min 18 s)</span>');
    expect(html).toContain('(42 s)');
  });

  it('lists daily series in date order', async () => {
    const days = ['2016-08-03', '2016-08-01', '2016-08-02'].map((d, i) => p(d, 100 + i));
    const html = renderReport({
      generatedAt: '2026-11-23T10:00:00.000Z',
      releases: [await entry(release({ analysis: 'dau', partition_by: 'date', partitions: days }))],
      budgets: [],
    });
    const keys = [...html.matchAll(/<tr><th scope="row">(2016-[^<]+)<\/th>/g)].map((m) => m[1]);
    expect(keys).toEqual(['2016-08-01', '2016-08-02', '2016-08-03']);
  });

  it('shows the budget per month as spent of cap', () => {
    const html = renderReport({
      generatedAt: '2026-11-23T10:00:00.000Z',
      releases: [],
      budgets: [
        { metric: 'analyses', period: '2016-08', epsilonSpent: 2, epsilonCap: 4, releaseCount: 2 },
        { metric: 'dau', period: '2016-09', epsilonSpent: 4, epsilonCap: 4, releaseCount: 30 },
      ],
    });
    expect(html).toMatch(
      /<th scope="row">2016-08<\/th><td>analyses<\/td><td class="num">2<\/td><td class="num">4<\/td><td class="num">2<\/td>/,
    );
    expect(html).toContain('aria-label="100% of the cap spent"');
    expect(html.indexOf('2016-09')).toBeLessThan(html.indexOf('2016-08'));
    expect(html).toContain('No releases yet');
  });

  it("shows each month's per-visitor total first, above that month's budgets", () => {
    const html = renderReport({
      generatedAt: '2026-11-23T10:00:00.000Z',
      releases: [],
      budgets: [
        { metric: 'analyses', period: '2016-08', epsilonSpent: 4, epsilonCap: 4, releaseCount: 4 },
        { metric: 'dau', period: '2016-08', epsilonSpent: 1, epsilonCap: 3, releaseCount: 1 },
        { metric: 'total', period: '2016-08', epsilonSpent: 5, epsilonCap: 8, delta: 1e-6, releaseCount: 5 },
      ],
    });
    const rows = [
      ...html.matchAll(/<tr(?: class="total")?><th scope="row">2016-08<\/th><td>(.*?)<\/td>/g),
    ].map((m) => m[1]);
    expect(rows).toEqual(['<strong>total per visitor</strong> (δ = 0.000001)', 'analyses', 'dau']);
    expect(html).toMatch(
      /total per visitor<\/strong>.*?<td class="num">5<\/td><td class="num">8<\/td><td class="num">3<\/td>/,
    );
  });
});
