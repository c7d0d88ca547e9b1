import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openActivity } from '../../src/activity/index.js';
import { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { tempLake } from '../helpers/lake.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempLake());
});
afterAll(() => cleanup());

const bronzeFiles = async (): Promise<string[]> =>
  (await readdir(join(dir, 'bronze'), { recursive: true }).catch(() => [] as string[])).filter((f) =>
    f.endsWith('.ndjson'),
  );

describe('dp-pipeline ingest', () => {
  it('rejects a bad line with file, line and field, writing nothing', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'bad.csv',
        'user_id,timestamp\nu1,2016-08-01T10:00:00Z\nu2,yesterday\n',
        /bad\.csv line 3: timestamp: "yesterday" is not/,
      ],
      [
        'cols.csv',
        'user,when\nu1,2016-08-01\n',
        /cols\.csv line 1: the CSV header must name user_id and timestamp/,
      ],
      [
        'bad.jsonl',
        '{"user_id":"u1","timestamp":"2016-08-01"}\n{"user_id":12,"timestamp":"2016-08-01"}\n',
        /bad\.jsonl line 2: user_id: must be a string/,
      ],
      [
        'broken.jsonl',
        '{"user_id":"u1","timestamp":"2016-08-01"}\n{"user_id":\n',
        /broken\.jsonl line 2: not valid JSON/,
      ],
      [
        'nodate.jsonl',
        '{"user_id":"u1","timestamp":"2016-02-30"}\n',
        /nodate\.jsonl line 1: timestamp: "2016-02-30"/,
      ],
    ];
    for (const [name, text, message] of cases) {
      await writeFile(join(dir, name), text);
      const r = runCli(['ingest', '--from', join(dir, name), '--lake', dir]);
      expect(r.code, name).toBe(1);
      expect(r.stderr.trim(), name).toMatch(message);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
    }
    const missing = runCli(['ingest', '--from', join(dir, 'nope.csv'), '--lake', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--from .*nope\.csv: cannot read the file/);
    expect(await bronzeFiles()).toEqual([]);
  });

  it('writes CSV and JSONL events to Bronze; the next run counts them as activity', async () => {
    await writeFile(
      join(dir, 'events.csv'),
      'timestamp,user_id,page\n2016-08-01T10:00:00Z,alice,/home\n2016-08-01T23:59:59+02:00,"bob, jr.",/x\n1470096000,alice,/y\n',
    );
    await writeFile(
      join(dir, 'events.jsonl'),
      '{"user_id":"carol","timestamp":"2016-08-02"}\n\n{"user_id":"alice","timestamp":"2016-08-01T10:00:00Z"}\n',
    );
    for (const f of ['events.csv', 'events.jsonl']) {
      const r = runCli(['ingest', '--from', join(dir, f), '--lake', dir]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /^ingested \d events into bronze\/events\/ingest\/\d{4}-\d{2}-\d{2}\/.*\.ndjson/,
      );
    }
    expect(await bronzeFiles()).toHaveLength(2);
    const run = runCli(['run', '--lake', dir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    // alice's 10:00:00Z event was sent twice: the second copy is a duplicate, not a second visit.
    expect(report.totals).toMatchObject({
      records_read: 5,
      silver: 4,
      duplicates: 1,
      rejected: 0,
      balanced: true,
    });
    const activity = await openActivity(new FsLake(dir));
    try {
      // 23:59:59+02:00 is 21:59:59Z on 08-01; 1470096000 is 2016-08-02T00:00:00Z.
      expect(await activity.dau('2016-08-01')).toBe(2);
      expect(await activity.dau('2016-08-02')).toBe(2);
      expect(await activity.distinctUsers('2016-08-01', '2016-08-02')).toBe(3);
    } finally {
      activity.close();
    }
  });
});
