import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/gold/release.js';
import { renderReport, type ReportRelease } from '../../src/gold/report/index.js';
import { sampleRelease } from '../helpers/release.js';
import { syntheticYear, type WindowedRelease } from '../helpers/release-year.js';

const GENERATED = '2017-08-05T09:00:00.000Z';

function entries(
  records: readonly WindowedRelease[],
  svg = '<svg width="10" height="10"><g/></svg>',
): ReportRelease[] {
  return records.map(({ release, windowId }) => {
    const base = `releases/${release.analysis}/${windowId}`;
    return {
      release,
      windowId,
      links: { json: `${base}.json`, svg: `${base}.svg`, png: `${base}.png` },
      svg,
    };
  });
}

/** The report's sections in page order, each with the window ids of its releases in page order. */
function sections(html: string): { analysis: string; html: string; windows: string[] }[] {
  return [...html.matchAll(/<section class="analysis"[^>]*data-analysis="([^"]+)"[\s\S]*?<\/section>/g)].map(
    (m) => ({
      analysis: m[1]!,
      html: m[0],
      windows: [...m[0].matchAll(/data-release data-analysis="[^"]+" data-window="([^"]+)"/g)].map(
        (w) => w[1]!,
      ),
    }),
  );
}

const year = syntheticYear({ dailyDau: true, skip: { sessions_per_continent: ['2017-02'] } });

describe('the report organised by analysis, then window', () => {
  const html = renderReport({
    generatedAt: GENERATED,
    releases: entries(year),
    budgets: [],
    trendCharts: new Map([['sessions_per_continent', '<svg width="10" height="10"><g id="clip1"/></svg>']]),
  });
  const all = sections(html);

  it('has one section per analysis, by name, with every window once, latest first', () => {
    expect(all.map((s) => s.analysis)).toEqual([
      'avg_session_duration_per_device',
      'dau',
      'dau_series',
      'mau',
      'mau_series',
      'pageviews_per_device',
      'sessions_per_continent',
      'sessions_per_country',
    ]);
    for (const s of all) {
      const expected = year
        .filter((r) => r.release.analysis === s.analysis)
        .sort((a, b) => (a.release.window.start < b.release.window.start ? 1 : -1))
        .map((r) => r.windowId);
      expect(s.windows, s.analysis).toEqual(expected);
    }
    expect(html.match(/data-release /g)).toHaveLength(year.length);
  });

  it('opens the latest window with its chart and keeps older ones collapsed, their charts linked', () => {
    const continent = all.find((s) => s.analysis === 'sessions_per_continent')!;
    const details = [...continent.html.matchAll(/<details class="release"[^>]*>[\s\S]*?<\/details>/g)].map(
      (m) => m[0],
    );
    expect(details).toHaveLength(11);
    expect(details[0]).toMatch(/^<details class="release"[^>]* open>/);
    expect(details[0]).toContain('<figure class="chart">');
    for (const older of details.slice(1)) {
      expect(older).not.toMatch(/^<details[^>]* open>/);
      expect(older).not.toContain('<svg');
      expect(older).toMatch(/<a href="releases\/sessions_per_continent\/20\d\d-\d\d\.svg">SVG<\/a>/);
      // Its values are in the trend's table rather than repeated.
      expect(older).toContain('of the table of every window above');
    }
    // Only the latest charts and the trend charts are inlined.
    expect(html.match(/<svg\b/g)).toHaveLength(all.length + 1);
  });

  it('starts an analysis with its trend, names the windows not released, and says it spends no budget', () => {
    const continent = all.find((s) => s.analysis === 'sessions_per_continent')!.html;
    const trendAt = continent.indexOf('<figure class="chart trend"');
    expect(trendAt).toBeGreaterThan(0);
    expect(trendAt).toBeLessThan(continent.indexOf('data-release'));
    expect(continent).toContain('Not released: February 2017 — a gap, not a zero');
    expect(continent).toContain('post-processing, so it spends no privacy budget');
    // Inlined with its own id prefix, hidden from screen readers (the table says the same).
    expect(continent).toContain('id="t-sessions_per_continent-clip1"');
    expect(continent).toMatch(/<svg aria-hidden="true"/);
    // A trend whose chart is missing says so instead.
    expect(all.find((s) => s.analysis === 'dau_series')!.html).toContain('The trend chart is missing');
  });

  it('lists every partition × window in one collapsed table, a key not selected as a dash', () => {
    const country = all.find((s) => s.analysis === 'sessions_per_country')!.html;
    const matrix = /<details class="matrix">[\s\S]*?<\/details>/.exec(country)![0];
    const keys = new Set(
      year
        .filter((r) => r.release.analysis === 'sessions_per_country')
        .flatMap((r) => r.release.partitions.map((p) => p.key)),
    );
    const rows = [...matrix.matchAll(/<tr><th scope="row">([^<]*)<\/th>([\s\S]*?)<\/tr>/g)];
    expect(rows.map((r) => r[1]).sort()).toEqual([...keys].sort());
    expect(matrix).toContain('(the chart draws the top 8)');
    expect(rows.every((r) => (r[2]!.match(/<td/g) ?? []).length === 12)).toBe(true);
    expect(matrix).toMatch(/<td class="na">—<\/td>/);
    const usa = rows.find((r) => r[1] === 'United States')![2]!;
    const first = year.find((r) => r.release.analysis === 'sessions_per_country')!.release.partitions[0]!;
    expect(usa).toContain(`${first.value.toLocaleString('en-US')}<small>±3</small>`);
  });

  it('lists the older windows of a one-value analysis as rows of one collapsed table', () => {
    const dau = all.find((s) => s.analysis === 'dau')!.html;
    expect(dau.match(/<details class="release"/g)).toHaveLength(1);
    const older =
      /<details class="older"><summary>Older windows: 364, one value each<\/summary>[\s\S]*?<\/details>/.exec(
        dau,
      );
    expect(older).not.toBeNull();
    expect(older![0].match(/<tr id="r-dau-20\d\d-\d\d-\d\d" data-release/g)).toHaveLength(364);
  });

  it('navigates by analysis, then its latest windows, and filters by month', () => {
    const nav = /<nav aria-label="Analyses and their windows">[\s\S]*?<\/nav>/.exec(html)![0];
    expect([...nav.matchAll(/<li data-analysis-link data-analysis="([^"]+)"/g)].map((m) => m[1])).toEqual(
      all.map((s) => s.analysis),
    );
    expect(nav).toContain('<a href="#r-sessions_per_continent-2017-07">Jul 2017</a>');
    expect(nav).toContain('and 353 older in <a href="#a-dau">the section</a>');
    const months = [...html.matchAll(/<option value="(\d{4}-\d\d)">([^<]+)<\/option>/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(months[0]).toBe('2017-07 July 2017');
    expect(months.at(-1)).toBe('2016-08 August 2016');
    expect(months).toHaveLength(12);
  });

  it('escapes keys and descriptions in the trend table, the navigation and the filters', () => {
    const hostile = (window: Release['window']): Release =>
      sampleRelease({
        analysis: 'hostile',
        description: '<script>alert("d")</script>',
        window,
        partitions: [{ key: '<img src=x onerror=alert(1)>', value: 5, ci95: [2, 8] }],
      });
    const page = renderReport({
      generatedAt: GENERATED,
      releases: entries([
        { release: hostile({ start: '2016-08-01', end: '2016-08-31' }), windowId: '2016-08' },
        { release: hostile({ start: '2016-09-01', end: '2016-09-30' }), windowId: '2016-09' },
      ]),
      budgets: [],
    });
    expect(page).not.toContain('<img src=x');
    expect(page.match(/<script\b/g)).toHaveLength(1);
    expect(page).toContain('<tr><th scope="row">&lt;img src=x onerror=alert(1)&gt;</th>');
  });
});
