import { cp, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempLake } from '../helpers/lake.js';

// Uses the full GA360 year from ../shared/data/ga360/bronze (365 files, 901,097 sessions), which
// CI provides beside the clone. Fails (does not skip) when the data is missing.
const SHARED = resolve('..', 'shared', 'data', 'ga360', 'bronze');

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempLake());
  await cp(SHARED, join(dir, 'bronze', 'ga360'), { recursive: true });
});
afterAll(() => cleanup());

describe('the full GA360 year, end to end through the CLI', () => {
  it('has the shared data', async () => {
    expect((await stat(SHARED)).isDirectory()).toBe(true);
  });

  it('accounts for every record and releases every month', async () => {
    const r = runCli(['run', '--lake', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    // Figures from ../shared/data/ga360/README.md: 901,097 lines, 900,200 distinct session keys.
    expect(report.totals).toMatchObject({
      records_read: 901097,
      silver: 900200,
      duplicates: 897,
      rejected: 0,
      balanced: true,
    });
    expect(report.blobs).toHaveLength(365);
    const released = report.releases.filter((x: { status: string }) => x.status === 'released');
    expect(released).toHaveLength(48);
    expect(report.epsilon_spent).toBe(48);
    const index = JSON.parse(await readFile(join(dir, 'gold', 'index.json'), 'utf8'));
    expect(index.releases).toHaveLength(48);
    expect(
      new Set(index.releases.map((x: { window: { start: string } }) => x.window.start.slice(0, 7))).size,
    ).toBe(12);
  });
});
