import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests can run here; in CI (CI set) they run and fail instead of skipping. */
export function browserAvailable(file: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available && !process.env.CI) {
    console.warn(
      `${file} skipped: ${CHROMIUM} is missing (apt-get install -y chromium). In CI (CI set) it runs and fails instead.`,
    );
  }
  return available || Boolean(process.env.CI);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
  '.parquet': 'application/vnd.apache.parquet',
};

/** Serves `root` read-only on 127.0.0.1 (an ephemeral port), as a static host of gold/ would. */
export async function serveStatic(root: string): Promise<{ server: Server; base: string }> {
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
export function watch(page: Page, origin: string): string[] {
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

/** Whether a `<details>` element (evaluated in the page) is open. */
export const isOpen = (d: unknown): boolean => (d as { open: boolean }).open;

/**
 * Opens the report `goldDir/reportPath` as a file, then as a blob URL of its text: both must show
 * all `releases` and the filters, with no network request, console error or failed request.
 * `onFile` checks more on the file-opened page.
 */
export async function expectReportOffline(
  browser: Browser,
  goldDir: string,
  reportPath: string,
  releases: number,
  onFile?: (page: Page) => Promise<void>,
): Promise<void> {
  const page = await browser.newPage();
  const problems = watch(page, 'file://');
  await page.goto(`file://${join(goldDir, reportPath)}`);
  expect(await page.locator('[data-release]').count()).toBe(releases);
  await onFile?.(page);
  const html = await readFile(join(goldDir, reportPath), 'utf8');
  const blobUrl = await page.evaluate(
    (text) => URL.createObjectURL(new Blob([text], { type: 'text/html' })),
    html,
  );
  await page.goto(blobUrl);
  expect(await page.locator('[data-release]').count()).toBe(releases);
  expect(await page.locator('#filters').isVisible()).toBe(true);
  expect(problems).toEqual([]);
  await page.close();
}

/** Every request `page` makes while it lives (the report itself should be the only one). */
export function requests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

/** The page's navigation timing, in ms from the start of navigation. */
export async function loadTiming(
  page: Page,
): Promise<{ domContentLoaded: number; load: number; transferBytes: number }> {
  // A string, as the tests compile without the DOM library.
  return page.evaluate(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
      load: Math.round(nav.loadEventEnd),
      transferBytes: nav.encodedBodySize,
    };
  })()`);
}
