import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, loadConfig } from '../../src/config/index.js';
import { createApp } from '../../src/http/index.js';
import { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { tempLake } from '../helpers/lake.js';

// One month (August 2016) of a small synthetic lake: the Gold analyses, a utility analysis, MAU
// and DAU releases all spend the one per-person monthly total, until it refuses the next release
// on the CLI (exit 3) and over HTTP (429) with nothing written. Each metric's own cap has room.
let dir: string;
let lake: string;
let configFile: string;
let cleanup: () => Promise<void>;
const TOTAL_CAP = 6;
const KEY = 'total-budget-key-0123';

/** Every file of the lake with a hash of its content: Gold files and ledger entities alike. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out[path] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return out;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempLake());
  lake = join(dir, 'g');
  configFile = join(dir, 'total.json');
  await writeFile(
    configFile,
    JSON.stringify({
      ...DEFAULT_CONFIG_INPUT,
      budget: { ...DEFAULT_CONFIG_INPUT.budget, total_monthly_epsilon_cap: TOTAL_CAP },
    }),
  );
  const generate = ['generate', '--out', lake, '--days', '10', '--users', '300', '--seed', '11'];
  expect(runCli([...generate, '--start-date', '2016-08-01']).code).toBe(0);
});
afterAll(() => cleanup());

describe('the per-person monthly total across every metric', () => {
  it('is spent by analyses, utility, MAU and DAU until the CLI exits 3 and HTTP answers 429, writing nothing', async () => {
    const opts = ['--lake', lake, '--config', configFile];
    const run = runCli(['run', ...opts]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/releases\s+4 written/); // the analyses: ε = 4 of the total 6
    const utility = runCli(['explain', '--utility', '--utility-epsilon', '0.5', ...opts]);
    expect(utility.code).toBe(0);
    expect(runCli(['mau', '--end', '2016-08-10', '--window', '7', ...opts]).code).toBe(0);

    // DAU releases until the total refuses one; DAU's own cap (3 = 10 releases) is never reached.
    let released = 0;
    let refused: ReturnType<typeof runCli> | undefined;
    let before: Record<string, string> = {};
    for (let d = 1; d <= 10 && refused === undefined; d++) {
      before = await snapshot(lake);
      const r = runCli(['dau', '--day', `2016-08-${String(d).padStart(2, '0')}`, ...opts]);
      if (r.code === 0) released++;
      else refused = r;
    }
    expect(released).toBeGreaterThanOrEqual(1);
    expect(released * 0.3).toBeLessThan(3);
    expect(refused?.code).toBe(3);
    expect(refused?.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused?.stderr).toMatch(
      /^dp-pipeline: privacy budget exhausted for dau in 2016-08: the month's total per-person budget \(every metric together\) has spent ε=5\.\d+ of cap 6; .*raise budget\.total_monthly_epsilon_cap/,
    );
    // Nothing written: no new Gold file, the ledger entity unchanged, byte for byte.
    expect(await snapshot(lake)).toEqual(before);

    const budget = runCli(['budget', '--month', '2016-08', ...opts]);
    expect(budget.code).toBe(0);
    const lines = budget.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^total 2016-08: ε 5\\.\\d+ of 6 spent, .*${4 + 1 + 1 + released} release\\(s\\) of every metric`,
      ),
    );
    expect(lines.slice(1).map((l) => l.split(' ')[0])).toEqual(['analyses', 'utility', 'dau', 'mau']);
    const month = JSON.parse(runCli(['budget', '--month', '2016-08', '--json', ...opts]).stdout) as {
      total: { epsilon_spent: number; epsilon_cap: number };
      metrics: Record<string, { epsilon_spent: number; epsilon_cap: number }>;
    };
    expect(month.total.epsilon_cap).toBe(TOTAL_CAP);
    for (const m of Object.values(month.metrics)) expect(m.epsilon_spent).toBeLessThanOrEqual(m.epsilon_cap);

    // The HTTP app on the same lake refuses too, before counting anything.
    const app = createApp({
      version: '1',
      lake: new FsLake(lake),
      config: await loadConfig(configFile),
      clock: () => new Date('2016-10-15T12:00:00Z'),
      apiKeys: [KEY],
      counts: () => Promise.reject(new Error('a refused release must not be counted')),
      charts: false,
    });
    const get = async (path: string): Promise<Response> =>
      app.fetch(new Request(`http://x${path}`, { headers: { 'x-api-key': KEY } }));
    for (const path of ['/dau/2016-08-09', '/mau?end=2016-08-09&window=7']) {
      const res = await get(path);
      expect(res.status).toBe(429);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ error: 'budget_exhausted', limit: 'total', epsilon_cap: TOTAL_CAP });
      expect(body.metric).toBe(path.startsWith('/dau') ? 'dau' : 'mau');
    }
    expect(await snapshot(lake)).toEqual(before);
    const state = (await (await get('/budget/mau?month=2016-08')).json()) as Record<string, unknown>;
    expect(state).toMatchObject({ metric: 'mau', release_count: 1, total: { epsilon_cap: TOTAL_CAP } });
  });
});
