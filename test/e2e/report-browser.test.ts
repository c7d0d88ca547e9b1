import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoldIndex } from '../../src/gold/schema.js';
import { runCli } from '../helpers/cli.js';
import { checkGoldContract } from '../helpers/gold-contract.js';
import { tempLake } from '../helpers/lake.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(import.meta.dirname, '../../test-output/report.png');
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(
    `report-browser.test.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium). In CI (CI set) it runs and fails instead.`,
  );
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves `root` read-only on 127.0.0.1 (an ephemeral port), as a static host of gold/ would. */
async function serveStatic(root: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(root, path);
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) =>
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Console errors, page errors, failed requests and requests leaving the origin, while `page` lives. */
function watch(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    const url = r.url();
    if (
      !url.startsWith(origin) &&
      !url.startsWith('blob:') &&
      !url.startsWith('data:') &&
      !url.startsWith('file:')
    ) {
      problems.push(`network request: ${url}`);
    }
  });
  return problems;
}

describe.skipIf(!available && !process.env.CI)('gold/report.html in a real browser (Chromium)', () => {
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
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await cleanup?.();
  });

  it('shows every release of index.json, filters by analysis and window, and is keyboard reachable', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const problems = watch(page, base);
    await page.goto(`${base}/${index.report}`, { waitUntil: 'load' });
    expect(index.releases.length).toBeGreaterThanOrEqual(2);
    const section = (analysis: string, window: string) =>
      page.locator(`section[data-release][data-analysis="${analysis}"][data-window="${window}"]`);
    const windowOf = (json: string): string => json.slice(json.lastIndexOf('/') + 1, -'.json'.length);
    for (const r of index.releases) {
      const s = section(r.analysis, windowOf(r.json));
      await expect.poll(() => s.isVisible()).toBe(true);
      expect(await s.locator('h2').innerText()).toContain(r.description);
      expect(await s.locator('svg').count()).toBeGreaterThan(0);
      expect(await s.locator('table.values tbody tr').count()).toBe(r.partitions);
    }
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    const [first, ...others] = index.releases;
    await page.selectOption('#f-analysis', first!.analysis);
    expect(await section(first!.analysis, windowOf(first!.json)).isVisible()).toBe(true);
    for (const o of others.filter((o) => o.analysis !== first!.analysis)) {
      expect(await section(o.analysis, windowOf(o.json)).isHidden()).toBe(true);
    }
    expect(await page.locator('#f-status').innerText()).toMatch(/^Showing \d+ of \d+ releases$/);
    await page.selectOption('#f-analysis', '');
    await page.selectOption('#f-window', windowOf(first!.json));
    expect(await page.locator('section[data-release]:visible').count()).toBe(
      index.releases.filter((r) => windowOf(r.json) === windowOf(first!.json)).length,
    );
    await page.selectOption('#f-window', '');

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
      .poll(() => page.locator('section[data-release]:visible').count())
      .toBeLessThan(index.releases.length);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('works opened from a file and from a blob URL, without any network', async () => {
    const page = await browser.newPage();
    const problems = watch(page, 'file://');
    await page.goto(`file://${join(dir, 'gold', index.report)}`);
    expect(await page.locator('section[data-release]').count()).toBe(index.releases.length);
    const html = await readFile(join(dir, 'gold', index.report), 'utf8');
    const blobUrl = await page.evaluate(
      (text) => URL.createObjectURL(new Blob([text], { type: 'text/html' })),
      html,
    );
    await page.goto(blobUrl);
    expect(await page.locator('section[data-release]').count()).toBe(index.releases.length);
    expect(await page.locator('#filters').isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
});
