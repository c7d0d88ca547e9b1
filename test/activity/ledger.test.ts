import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openActivity, rebuildActivity } from '../../src/activity/index.js';
import { loadConfig } from '../../src/config/index.js';
import { Engine } from '../../src/engine/duckdb.js';
import { DamagedStateError } from '../../src/errors.js';
import { describeFile, recordFile } from '../../src/lake/manifest.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { rotateKey } from '../../src/silver/key-ring.js';
import type { FsLake } from '../../src/storage/index.js';
import { gaLine, tempLake } from '../helpers/lake.js';

let lake: FsLake;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ lake, cleanup } = await tempLake()));
afterEach(() => cleanup());

/** Unix seconds of `day` (YYYY-MM-DD) plus `s`. */
const at = (day: string, s: number): string => String(Date.parse(`${day}T00:00:00Z`) / 1000 + s);
const ymd = (day: string): string => day.replace(/-/g, '');

describe('activity ledger', () => {
  it('counts distinct users per day and per window from Silver, once per user', async () => {
    const lines = [
      gaLine({ user: 'a', visit: at('2016-08-01', 10), date: ymd('2016-08-01') }),
      gaLine({ user: 'a', visit: at('2016-08-01', 20), date: ymd('2016-08-01') }),
      gaLine({ user: 'b', visit: at('2016-08-01', 30), date: ymd('2016-08-01') }),
      gaLine({ user: 'a', visit: at('2016-08-03', 30), date: ymd('2016-08-03') }),
    ];
    await lake.objects('bronze').write('d1.ndjson', lines.join('\n') + '\n');
    const config = await loadConfig();
    await runPipeline({ lake, config, now: new Date('2016-08-04T00:00:00Z') });
    await lake
      .objects('bronze')
      .write('d2.ndjson', gaLine({ user: 'c', visit: at('2016-08-03', 40), date: ymd('2016-08-03') }) + '\n');
    await runPipeline({ lake, config, now: new Date('2016-08-04T00:00:00Z') });

    const ledger: string[] = [];
    for await (const obj of lake.objects('private').list('activity/')) ledger.push(obj.key);
    // One file per month and run (not per day); readers filter on the day column.
    expect(ledger).toHaveLength(2);
    for (const key of ledger) expect(key).toMatch(/^activity\/month=2016-08\/part-[^/]+\.parquet$/);

    const activity = await openActivity(lake);
    try {
      expect(await activity.dau('2016-08-01')).toBe(2);
      expect(await activity.dau('2016-08-02')).toBe(0);
      expect(await activity.dau('2016-08-03')).toBe(2);
      expect(await activity.distinctUsers('2016-08-01', '2016-08-03')).toBe(3);
      expect(await activity.distinctUsers('2016-08-02', '2016-08-03')).toBe(2);
      expect(await activity.activeDaysByUser('2016-08-01', '2016-08-31')).toEqual([
        ['2016-08-01'],
        ['2016-08-01', '2016-08-03'],
        ['2016-08-03'],
      ]);
      await expect(activity.dau('2016-8-1')).rejects.toThrow(/YYYY-MM-DD/);
    } finally {
      activity.close();
    }
  });
});

describe('activity ledger and crashed runs', () => {
  it('ignores ledger files of a run that never committed, and the next run removes them', async () => {
    await lake
      .objects('bronze')
      .write('d1.ndjson', gaLine({ user: 'a', visit: at('2016-08-01', 10) }) + '\n');
    const config = await loadConfig();
    await runPipeline({ lake, config, now: new Date('2016-08-04T00:00:00Z') });
    // A crashed run's ledger file (a run id without a report) with another user on 08-02.
    const crashed = 'activity/date=2016-08-02/part-20160801T000000Z-abcdef.parquet';
    const dir = await mkdtemp(join(tmpdir(), 'dp-test-crash-'));
    const engine = await Engine.open({ tempDirectory: join(dir, 'duckdb') });
    await engine.run(
      `COPY (SELECT DATE '2016-08-02' AS day, 'ffffffffffffffffffffffffffffffff' AS "user") TO '${join(dir, 'f.parquet')}' (FORMAT parquet)`,
    );
    await lake.objects('private').uploadFile(join(dir, 'f.parquet'), crashed);
    // A real run writes the file's manifest row right after its upload, before its report.
    const facts = await describeFile(engine, join(dir, 'f.parquet'));
    await recordFile(lake, 'private', crashed, '20160801T000000Z-abcdef', facts);
    engine.close();
    await rm(dir, { recursive: true, force: true });
    const activity = await openActivity(lake);
    try {
      expect(await activity.distinctUsers('2016-08-01', '2016-08-31')).toBe(1);
      expect(await activity.dau('2016-08-02')).toBe(0);
      // Once its run "commits", the same file counts: the filter above is what excluded it.
      await lake.objects('private').write('runs/20160801T000000Z-abcdef.json', '{}');
      expect(await activity.dau('2016-08-02')).toBe(1);
      await lake.objects('private').delete('runs/20160801T000000Z-abcdef.json');
      await runPipeline({ lake, config, now: new Date('2016-08-04T00:00:00Z') });
      expect(await lake.objects('private').head(crashed)).toBeUndefined();
    } finally {
      activity.close();
    }
  });
});

describe('rebuildActivity', () => {
  it('rebuilds the same counts from Silver, and refuses once Silver holds a later key version', async () => {
    const lines = ['a', 'b', 'c'].flatMap((u, i) => [
      gaLine({ user: u, visit: at('2016-08-01', 10 + i), date: ymd('2016-08-01') }),
      gaLine({ user: u, visit: at('2016-08-0' + (2 + i), 10), date: ymd('2016-08-0' + (2 + i)) }),
    ]);
    await lake.objects('bronze').write('d1.ndjson', lines.join('\n') + '\n');
    const config = await loadConfig();
    const now = new Date('2016-08-05T00:00:00Z');
    await runPipeline({ lake, config, now });
    const activity = await openActivity(lake);
    try {
      const snapshot = async (): Promise<unknown[]> => [
        await activity.dau('2016-08-01'),
        await activity.dau('2016-08-03'),
        await activity.distinctUsers('2016-08-02', '2016-08-04'),
        await activity.activeDaysByUser('2016-08-01', '2016-08-31'),
      ];
      const before = await snapshot();
      expect(before.slice(0, 3)).toEqual([3, 1, 3]);
      for await (const obj of lake.objects('private').list('activity/'))
        await lake.objects('private').delete(obj.key);
      // Committed ledger files gone by hand: the manifest says so, rather than counting 0.
      await expect(activity.dau('2016-08-01')).rejects.toThrow(DamagedStateError);
      await expect(activity.dau('2016-08-01')).rejects.toThrow(/is damaged \(missing\)/);
      expect(await rebuildActivity(lake)).toMatchObject({ silverFiles: 4, ledgerFiles: 4, removed: 0 });
      expect(await snapshot()).toEqual(before);

      await rotateKey(lake, '2016-08-06', { latestSilverDate: '2016-08-04', env: {} });
      await lake
        .objects('bronze')
        .write(
          'd2.ndjson',
          gaLine({ user: 'a', visit: at('2016-08-06', 10), date: ymd('2016-08-06') }) + '\n',
        );
      await runPipeline({ lake, config, now });
      await expect(rebuildActivity(lake)).rejects.toThrow(/key version\(s\) v2: .*reprocess Bronze/);
      expect(await activity.distinctUsers('2016-08-01', '2016-08-31')).toBe(3);
    } finally {
      activity.close();
    }
  });
});
