import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { createApp } from '../../src/http/index.js';
import type { FsLake } from '../../src/storage/index.js';
import { modelCounts, syntheticActivity } from '../helpers/activity.js';
import { conformingFetch } from '../helpers/http-contract.js';
import { tempLake } from '../helpers/lake.js';

const KEY = 'test-key-0123456789';

describe('HTTP API on damaged state', () => {
  let lake: FsLake;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ lake, dir, cleanup } = await tempLake()));
  afterEach(() => cleanup());

  it("answers 500 internal without the operator's files, and logs what is damaged and what to do", async () => {
    const logged: string[] = [];
    const app = createApp({
      version: '1',
      lake,
      config: parseConfig(DEFAULT_CONFIG_INPUT),
      clock: () => new Date('2016-10-15T12:00:00Z'),
      apiKeys: [KEY],
      counts: () => Promise.resolve(modelCounts(syntheticActivity(50))),
      rng: () => seededRandom('http-damaged'),
      charts: false,
      log: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }),
    });
    const get = (path: string) =>
      conformingFetch(app)(new Request(`http://x${path}`, { headers: { 'x-api-key': KEY } }));
    expect((await get('/dau/2016-08-03')).status).toBe(200); // charges the DAU budget of 2016-08
    const budgetDir = join(dir, 'tables', 'budget', 'month');
    const [row] = await readdir(budgetDir);
    const path = join(budgetDir, row!);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length - 5));

    const res = await get('/budget/dau?month=2016-08');
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      error: 'internal',
      message:
        "the service's stored state is damaged; the operator has to repair it (the server log says what and how)",
      hint: 'retry later; the operator has to restore or repair the stored state',
    });
    expect(body).not.toContain(dir);
    const errors = logged.map((l) => JSON.parse(l) as { level: number; msg: string; code?: string });
    expect(errors.filter((e) => e.level >= 50)).toEqual([
      expect.objectContaining({
        code: 'DAMAGED_STATE',
        msg: expect.stringMatching(
          /^budget entity \(month, 2016-08\) in \S+ is damaged \(not valid JSON: it ends early, as if truncated\): restore it from a backup/,
        ),
      }),
    ]);
  });
});
