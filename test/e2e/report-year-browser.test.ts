import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSchema, type GoldIndex } from '../../src/gold/schema.js';
import {
  browserAvailable,
  expectReportOffline,
  isOpen,
  launchChromium,
  loadTiming,
  requests,
  serveStatic,
  watch,
} from '../helpers/browser.js';
import { mustMatch } from '../helpers/gold-contract.js';
import { tempLake } from '../helpers/lake.js';
import { syntheticYear } from '../helpers/release-year.js';
import { publishReleases } from '../helpers/year-lake.js';

/** Per release element (run in the page): its window, tag, whether open, and what of it is shown. */
const releaseStates = (els: unknown[]) =>
  els.map((x) => {
    type El = {
      tagName: string;
      open?: boolean;
      getAttribute(n: string): string;
      checkVisibility(): boolean;
      querySelector(q: string): El | null;
    };
    const el = x as El;
    return {
      window: el.getAttribute('data-window'),
      tag: el.tagName,
      open: el.open,
      shown: el.checkVisibility(),
      summaryShown: el.querySelector('summary')?.checkVisibility(),
      bodyShown: el.querySelector('.privacy')?.checkVisibility(),
    };
  });
/** 4 (DOCUMENT_POSITION_FOLLOWING) when the section's first window follows its trend chart. */
const trendFirst = (s: unknown): number => {
  type Node = { compareDocumentPosition(o: Node): number };
  const section = s as { querySelector(q: string): Node };
  return (
    section.querySelector('figure.trend').compareDocumentPosition(section.querySelector('[data-release]')) & 4
  );
};

const OUT = join(import.meta.dirname, '../../test-output');
const SKIPPED = { sessions_per_continent: ['2017-02'], dau: ['2016-09-10', '2016-09-11'] };

describe.skipIf(!browserAvailable('report-year-browser.test.ts'))(
  'gold/report.html with a year of releases, in a real browser (Chromium)',
  () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let server: Server;
    let base: string;
    let browser: Browser;
    let index: GoldIndex;
    const windowsOf = new Map<string, string[]>();
    const records = syntheticYear({ dailyDau: true, skip: SKIPPED });
    const total = records.length;

    beforeAll(async () => {
      let lake;
      ({ lake, dir, cleanup } = await tempLake());
      // The four default analyses, the DAU/MAU series and MAU month by month, DAU every day, a
      // few windows not released: 446 releases, recorded and published without the pipeline.
      await publishReleases(lake, records);
      index = mustMatch(
        indexSchema,
        JSON.parse(await readFile(join(dir, 'gold/index.json'), 'utf8')),
        'index',
      );
      for (const r of index.releases) {
        const list = windowsOf.get(r.analysis) ?? [];
        windowsOf.set(r.analysis, [...list, r.json.slice(r.json.lastIndexOf('/') + 1, -'.json'.length)]);
      }
      ({ server, base } = await serveStatic(join(dir, 'gold')));
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => server?.close(resolve));
      await cleanup?.();
    });

    const release = (page: Page, analysis: string, window: string) =>
      page.locator(`[data-release][data-analysis="${analysis}"][data-window="${window}"]`);

    it('shows each analysis with its trend chart first, its latest window open and older ones collapsed', async () => {
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      const problems = watch(page, base);
      const asked = requests(page);
      await page.goto(`${base}/${index.report}`, { waitUntil: 'load' });
      expect(index.releases).toHaveLength(total);
      expect(total).toBe(446);
      expect(await page.locator('[data-release]').count()).toBe(index.releases.length);

      for (const [analysis, windows] of windowsOf) {
        const section = page.locator(`section.analysis[data-analysis="${analysis}"]`);
        expect(await section.isVisible()).toBe(true);
        // The trend chart comes before any window of the analysis.
        const trend = section.locator('figure.trend svg');
        expect(await trend.count(), analysis).toBe(1);
        expect(await trend.isVisible()).toBe(true);
        const order = await section.evaluate(trendFirst);
        expect(order, `${analysis}: trend before the windows`).toBe(4);

        const latest = [...windows].sort().at(-1)!;
        const open = section.locator('details[data-release][open]');
        expect(await open.count(), analysis).toBe(1);
        expect(await open.getAttribute('data-window')).toBe(latest);
        expect(await open.locator('figure.chart svg').isVisible()).toBe(true);
        const entry = index.releases.find(
          (r) => r.analysis === analysis && r.json.endsWith(`/${latest}.json`),
        )!;
        expect(await open.locator('table.values tbody tr').count()).toBe(entry.partitions);
        // Older windows: each present once and collapsed, their contents shown only when opened
        // (a <details> of its own, or a row of the collapsed table of one-value windows).
        const states = await section.locator('[data-release]').evaluateAll(releaseStates);
        expect(states.map((st) => st.window).sort()).toEqual([...windows].sort());
        for (const st of states.filter((x) => x.window !== latest)) {
          const what = `${analysis} ${st.window} is collapsed`;
          if (st.tag === 'DETAILS')
            expect(st, what).toMatchObject({ open: false, summaryShown: true, bodyShown: false });
          else expect(st, what).toMatchObject({ tag: 'TR', shown: false });
        }
      }

      // The gap is named, and the page says the trends spend nothing.
      const continents = page.locator('section.analysis[data-analysis="sessions_per_continent"]');
      // Off-screen analyses are laid out once scrolled to (content-visibility): read them so.
      await continents.scrollIntoViewIfNeeded();
      await expect
        .poll(() => continents.locator('.trend-block .note').innerText())
        .toMatch(/Not released: February 2017 — a gap, not a zero/);
      expect(await continents.innerText()).toContain('spends no privacy budget');
      // The partitions the country chart does not draw are one click away.
      const countries = page.locator('section.analysis[data-analysis="sessions_per_country"]');
      await countries.locator('details.matrix > summary').click();
      const matrix = countries.locator('details.matrix table');
      expect(await matrix.isVisible()).toBe(true);
      expect(await matrix.locator('tbody tr').count()).toBeGreaterThan(100);
      expect(await matrix.locator('thead th').count()).toBe(1 + 12);

      await mkdir(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'report-year.png'), fullPage: false });
      await countries.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(OUT, 'report-year-country.png'), fullPage: false });
      expect(asked).toEqual([`${base}/${index.report}`]);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('filters by analysis and month, opens windows from links, and is keyboard reachable', async () => {
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      const problems = watch(page, base);
      await page.goto(`${base}/${index.report}`, { waitUntil: 'load' });
      const visibleSections = () => page.locator('section.analysis:visible').count();
      expect(await visibleSections()).toBe(windowsOf.size);

      await page.selectOption('#f-analysis', 'sessions_per_country');
      expect(await visibleSections()).toBe(1);
      expect(await page.locator('section.analysis[data-analysis="sessions_per_country"]').isVisible()).toBe(
        true,
      );
      expect(await page.locator('#f-status').innerText()).toBe(`Showing 12 of ${total} releases`);

      // A month opens that month's window of every analysis and hides the others.
      await page.selectOption('#f-analysis', '');
      await page.selectOption('#f-month', '2016-10');
      const october = index.releases.filter((r) => r.window.end.startsWith('2016-10'));
      expect(await page.locator('#f-status').innerText()).toBe(
        `Showing ${october.length} of ${total} releases`,
      );
      const country = release(page, 'sessions_per_country', '2016-10');
      expect(await country.isVisible()).toBe(true);
      expect(await country.evaluate(isOpen)).toBe(true);
      expect(await release(page, 'sessions_per_country', '2017-07').isVisible()).toBe(false);
      expect(await release(page, 'dau', '2016-10-15').isVisible()).toBe(true);
      expect(await release(page, 'dau', '2016-11-15').isVisible()).toBe(false);
      await page.selectOption('#f-month', '');
      expect(await country.evaluate(isOpen)).toBe(false);
      expect(await release(page, 'sessions_per_country', '2017-07').evaluate(isOpen)).toBe(true);

      // A window's link in the navigation opens it.
      await page.locator('nav a[href="#r-sessions_per_continent-2017-05"]').click();
      expect(await release(page, 'sessions_per_continent', '2017-05').evaluate(isOpen)).toBe(true);

      // Keyboard: the skip link first, then the analysis filter; arrows change it; a window's
      // summary opens with Enter.
      await page.goto(`${base}/${index.report}`, { waitUntil: 'load' });
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement && document.activeElement.className')).toBe('skip');
      let reached = false;
      for (let i = 0; i < 10 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate("document.activeElement && document.activeElement.id === 'f-analysis'");
      }
      expect(reached).toBe(true);
      expect(await page.locator('label[for="f-analysis"]').innerText()).toBe('Analysis');
      await page.keyboard.press('ArrowDown');
      await expect.poll(visibleSections).toBe(1);
      const older = release(page, 'avg_session_duration_per_device', '2017-03');
      await older.locator('summary').focus();
      await page.keyboard.press('Enter');
      expect(await older.evaluate(isOpen)).toBe(true);
      expect(await older.locator('.privacy').isVisible()).toBe(true);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('works opened from a file and from a blob URL, without any network', async () => {
      await expectReportOffline(
        browser,
        join(dir, 'gold'),
        index.report,
        index.releases.length,
        async (page) => {
          expect(await page.locator('figure.trend svg').count()).toBe(windowsOf.size);
        },
      );
    });

    it('stays light with one and three years of releases (weight and load time measured)', async () => {
      const measured: Record<string, unknown>[] = [];
      const lakes: [string, string, () => Promise<void>][] = [
        [`1 year, ${total} releases`, dir, () => Promise.resolve()],
      ];
      const three = await tempLake();
      lakes.push(['3 years, 1347 releases', three.dir, three.cleanup]);
      try {
        await publishReleases(three.lake, syntheticYear({ months: 36, dailyDau: true }), {
          now: new Date('2019-08-05T09:00:00Z'),
        });
        const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
        for (const [name, lakeDir] of lakes) {
          const { server: s, base: b } = await serveStatic(join(lakeDir, 'gold'));
          try {
            const bytes = (await stat(join(lakeDir, 'gold/report.html'))).size;
            const asked = requests(page);
            const loads: number[] = [];
            for (let i = 0; i < 3; i++) {
              await page.goto(`${b}/report.html`, { waitUntil: 'load' });
              loads.push((await loadTiming(page)).load);
            }
            const dom = await page.evaluate('document.getElementsByTagName("*").length');
            measured.push({ lake: name, bytes, load_ms: loads, dom_elements: dom });
            expect(new Set(asked)).toEqual(new Set([`${b}/report.html`]));
            expect(bytes, name).toBeLessThan(2_500_000);
          } finally {
            await new Promise((resolve) => s.close(resolve));
          }
        }
        await page.close();
      } finally {
        await Promise.all(lakes.map(([, , done]) => done()));
      }
      await mkdir(OUT, { recursive: true });
      await writeFile(join(OUT, 'report-weight.json'), JSON.stringify(measured, null, 2) + '\n');
      console.log('report weight and load time:', JSON.stringify(measured));
    });
  },
);
