import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoldIndex } from '../../src/gold/schema.js';
import {
  browserAvailable,
  expectReportOffline,
  isOpen,
  launchChromium,
  serveStatic,
  watch,
} from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { checkGoldContract } from '../helpers/gold-contract.js';
import { tempLake } from '../helpers/lake.js';

const SCREENSHOT = join(import.meta.dirname, '../../test-output/report.png');

describe.skipIf(!browserAvailable('report-browser.test.ts'))(
  'gold/report.html in a real browser (Chromium)',
  () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let server: Server;
    let base: string;
    let browser: Browser;
    let index: GoldIndex;

    beforeAll(async () => {
      ({ dir, cleanup } = await tempLake());
      const run = runCli(['run', '--lake', dir, '--with-sample']);
      expect(run.code, run.stderr).toBe(0);
      index = await checkGoldContract(join(dir, 'gold'));
      ({ server, base } = await serveStatic(join(dir, 'gold')));
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => server?.close(resolve));
      await cleanup?.();
    });

    const windowOf = (json: string): string => json.slice(json.lastIndexOf('/') + 1, -'.json'.length);
    const release = (page: Page, analysis: string, window: string) =>
      page.locator(`[data-release][data-analysis="${analysis}"][data-window="${window}"]`);

    it('shows every release of index.json in its analysis, filters by analysis and month, and is keyboard reachable', async () => {
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      const problems = watch(page, base);
      await page.goto(`${base}/${index.report}`, { waitUntil: 'load' });
      expect(index.releases.length).toBeGreaterThanOrEqual(2);
      for (const r of index.releases) {
        const section = page.locator(`section.analysis[data-analysis="${r.analysis}"]`);
        await section.scrollIntoViewIfNeeded();
        await expect.poll(() => section.locator('h2').innerText()).toContain(r.description);
        // The sample has one window per analysis: it is the latest, open with its chart and values.
        const s = release(page, r.analysis, windowOf(r.json));
        expect(await s.evaluate(isOpen)).toBe(true);
        expect(await s.locator('figure.chart svg').count()).toBe(1);
        expect(await s.locator('table.values tbody tr').count()).toBe(r.partitions);
      }
      await mkdir(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      const [first, ...others] = index.releases;
      await page.selectOption('#f-analysis', first!.analysis);
      expect(await release(page, first!.analysis, windowOf(first!.json)).isVisible()).toBe(true);
      for (const o of others.filter((o) => o.analysis !== first!.analysis)) {
        expect(await page.locator(`section.analysis[data-analysis="${o.analysis}"]`).isHidden()).toBe(true);
      }
      expect(await page.locator('#f-status').innerText()).toMatch(/^Showing \d+ of \d+ releases$/);
      await page.selectOption('#f-analysis', '');
      const month = first!.window.end.slice(0, 7);
      await page.selectOption('#f-month', month);
      expect(await page.locator('[data-release]:visible').count()).toBe(
        index.releases.filter((r) => r.window.end.startsWith(month)).length,
      );
      await page.selectOption('#f-month', '');

      // Keyboard: Tab reaches the skip link first, then the analysis filter; arrows change it.
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
      await expect
        .poll(() => page.locator('[data-release]:visible').count())
        .toBeLessThan(index.releases.length);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('works opened from a file and from a blob URL, without any network', async () => {
      await expectReportOffline(browser, join(dir, 'gold'), index.report, index.releases.length);
    });
  },
);
