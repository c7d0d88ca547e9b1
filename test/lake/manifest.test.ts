import { createHash } from 'node:crypto';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openActivity, rebuildActivity } from '../../src/activity/index.js';
import { loadConfig } from '../../src/config/index.js';
import { Engine } from '../../src/engine/duckdb.js';
import { DamagedStateError } from '../../src/errors.js';
import {
  CommittedView,
  describeFile,
  describeFiles,
  listManifest,
  MANIFEST_PARTITION,
  readManifestRow,
  recordPendingRewrite,
  verifyFiles,
  type ManifestEntity,
} from '../../src/lake/index.js';
import { runPipeline } from '../../src/pipeline/run.js';
import type { FsLake } from '../../src/storage/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { gaLine, tempLake } from '../helpers/lake.js';

let lake: FsLake;
let dir: string;
let cleanup: () => Promise<void>;
let engine: Engine;
beforeEach(async () => {
  ({ lake, dir, cleanup } = await tempLake());
  engine = await Engine.open({ tempDirectory: join(dir, 'duckdb') });
});
afterEach(async () => {
  engine.close();
  await cleanup();
});

/** Unix seconds of `day` (YYYY-MM-DD) plus `s`. */
const at = (day: string, s: number): string => String(Date.parse(`${day}T00:00:00Z`) / 1000 + s);
const NOW = new Date('2016-08-05T00:00:00Z'); // August still open: no Gold phase in these runs

async function runOn(days: readonly string[], blob: string): Promise<void> {
  const lines = days.flatMap((day, i) =>
    ['a', 'b', 'c'].map((user, j) =>
      gaLine({ user: `${user}${i}`, visit: at(day, 10 * j + 1), date: day.replace(/-/g, '') }),
    ),
  );
  await lake.objects('bronze').write(blob, lines.join('\n') + '\n');
  await runPipeline({ lake, config: await loadConfig(), now: NOW });
}

async function manifest(): Promise<Map<string, ManifestEntity>> {
  const rows = new Map<string, ManifestEntity>();
  for await (const row of listManifest(lake)) rows.set(row.rowKey, row);
  return rows;
}

async function silverKeys(): Promise<string[]> {
  return (await CommittedView.open(lake)).files('silver');
}

/** Verifies the committed Silver files as the Gold phase does (in place on the local lake). */
async function verifySilver(): Promise<void> {
  const view = await CommittedView.open(lake);
  const keys = await view.files('silver');
  const paths = keys.map((k) => join(dir, 'silver', k));
  await verifyFiles(lake, view, { dataset: 'silver', keep: () => true, keys, paths });
}

const sha = async (path: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

describe('manifest of committed data files', () => {
  it('lists every Silver, ledger and blob-index file a run commits, with its rows, bytes and SHA-256', async () => {
    await runOn(['2016-08-01', '2016-08-02'], 'd1.ndjson');
    const rows = await manifest();
    const files: string[] = [];
    for await (const o of lake.objects('silver').list('')) files.push(`silver/${o.key}`);
    for await (const o of lake.objects('private').list('activity')) files.push(`private/${o.key}`);
    expect(files.filter((f) => f.startsWith('silver/'))).toHaveLength(2);
    expect(files.filter((f) => f.includes('activity-index/'))).toHaveLength(1);
    expect([...rows.keys()].sort()).toEqual(files.sort());
    for (const f of files) {
      const path = join(dir, f);
      const row = rows.get(f)!;
      expect(row.sha256).toBe(await sha(path));
      expect(row.bytes).toBe((await readFile(path)).length);
      expect(row.run_id).toBe(/part-([^-]+-[^-.]+)/.exec(f)![1]);
    }
    expect(rows.get(`silver/${(await silverKeys())[0]!}`)!.rows).toBe(3);
    await expect(verifySilver()).resolves.toBeUndefined();
  });

  it('an interrupted rewrite (pending row) verifies with the old file or the new one, and nothing else', async () => {
    await runOn(['2016-08-01'], 'd1.ndjson');
    const [key] = await silverKeys();
    const path = join(dir, 'silver', key!);
    const old = await readFile(path);
    const row = (await readManifestRow(lake, 'silver', key!))!;
    const next = join(dir, 'rewrite.parquet');
    await engine.run(
      `COPY (SELECT * FROM read_parquet('${path}') LIMIT 2) TO '${next}' (FORMAT parquet, COMPRESSION zstd)`,
    );
    await recordPendingRewrite(lake, 'silver', key!, row.run_id, row, await describeFile(engine, next));
    await expect(verifySilver()).resolves.toBeUndefined(); // crash before the upload: old file
    await copyFile(next, path);
    await expect(verifySilver()).resolves.toBeUndefined(); // crash before the final row: new file
    await engine.run(`COPY (SELECT * FROM read_parquet('${next}') LIMIT 1) TO '${path}' (FORMAT parquet)`);
    await expect(verifySilver()).rejects.toThrow(DamagedStateError);
    await writeFile(path, old);
  });

  it('describes many files at once exactly as one at a time, in the order given', async () => {
    const paths = [3, 0, 1000].map((n) => join(dir, `rows-${n}.parquet`));
    for (const [i, n] of [3, 0, 1000].entries()) {
      await engine.run(`COPY (SELECT range AS x FROM range(${n})) TO '${paths[i]}' (FORMAT parquet)`);
    }
    const one = [];
    for (const p of paths) one.push(await describeFile(engine, p));
    expect(one.map((f) => f.rows)).toEqual([3, 0, 1000]);
    await expect(describeFiles(engine, paths)).resolves.toEqual(one);
    await expect(describeFiles(engine, [])).resolves.toEqual([]);
  });

  it('adopts the files of a lake from before manifests once (logged), then refuses a committed file without a row', async () => {
    await runOn(['2016-08-01'], 'd1.ndjson');
    const before = await manifest();
    // A lake from before manifests: no rows, no adoption marker.
    const table = lake.tables('checkpoints');
    for (const rowKey of before.keys()) await table.delete(MANIFEST_PARTITION, rowKey);
    await table.delete('manifest', 'adopted');
    const [key] = await silverKeys();
    await expect(verifySilver()).resolves.toBeUndefined(); // not verifiable yet: read as before

    const logged: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    await runPipeline({ lake, config: await loadConfig(), now: NOW, log });
    expect(
      logged.filter((l) => l.includes('adopted the committed files of a lake from before manifests')),
    ).toHaveLength(1);
    expect(logged.join('')).toMatch(/"files":3/); // Silver, ledger and blob index of the one run
    const adopted = await manifest();
    expect(new Map([...adopted].map(([k, r]) => [k, r.sha256]))).toEqual(
      new Map([...before].map(([k, r]) => [k, r.sha256])),
    );

    await table.delete(MANIFEST_PARTITION, `silver/${key!}`);
    await expect(verifySilver()).rejects.toThrow(/is damaged \(no manifest row\)/);
  });

  it('DAU refuses a window whose ledger file is missing, naming it, and works after rebuild-activity', async () => {
    await runOn(['2016-08-01', '2016-08-02'], 'd1.ndjson');
    const ledgerKeys = await (await CommittedView.open(lake)).files('activity');
    expect(ledgerKeys).toHaveLength(1);
    await rm(join(dir, 'private', ledgerKeys[0]!));
    const activity = await openActivity(lake);
    try {
      await expect(activity.dau('2016-08-01')).rejects.toThrow(
        new RegExp(
          `private file ${ledgerKeys[0]!.replace(/[.]/g, '\\.')} \\(committed by run .+\\) is damaged \\(missing\\)`,
        ),
      );
      // rebuild-activity writes day files with rows, and forgets the rows of the files it replaces.
      await rebuildActivity(lake);
      expect(await activity.dau('2016-08-01')).toBe(3);
      const rows = [...(await manifest()).keys()].filter((k) => k.startsWith('private/activity/'));
      expect(rows.sort()).toEqual(
        (await (await CommittedView.open(lake)).files('activity')).map((k) => `private/${k}`).sort(),
      );
      expect(rows.every((k) => k.includes('/date=2016-08-0'))).toBe(true);
    } finally {
      activity.close();
    }
  });
});

describe.each(BACKENDS)('verified commits on $name', ({ fresh }) => {
  it('the Gold phase refuses a deleted or truncated Silver object before charging, then releases once it is back', async () => {
    const { lake: store, cleanup: done } = await fresh();
    try {
      const config = await loadConfig();
      const lines = ['2016-08-01', '2016-08-02'].flatMap((day, i) =>
        ['a', 'b'].map((u, j) =>
          gaLine({ user: `${u}${i}`, visit: at(day, j + 1), date: day.replace(/-/g, '') }),
        ),
      );
      await store.objects('bronze').write('d.ndjson', lines.join('\n') + '\n');
      await runPipeline({ lake: store, config, now: NOW }); // August open: Silver only
      const keys = await (await CommittedView.open(store)).files('silver');
      expect(keys).toHaveLength(2);
      const silver = store.objects('silver');
      const body = await silver.read(keys[1]!);
      const later = new Date('2016-09-10T00:00:00Z'); // August closed
      const budget = async () => {
        const rows: unknown[] = [];
        for await (const r of store.tables('budget').list()) rows.push(r.entity);
        return rows;
      };

      await silver.delete(keys[1]!);
      await expect(runPipeline({ lake: store, config, now: later })).rejects.toThrow(
        `silver file ${keys[1]!} (committed by run `,
      );
      await silver.write(keys[1]!, body.subarray(0, body.length - 10));
      await expect(runPipeline({ lake: store, config, now: later })).rejects.toThrow(
        `(${body.length - 10} bytes, the manifest says ${body.length})`,
      );
      expect(await budget()).toEqual([]);
      const gold: string[] = [];
      for await (const o of store.objects('gold').list('')) gold.push(o.key);
      expect(gold.filter((k) => k.endsWith('.json') && k.startsWith('releases/'))).toEqual([]);

      await silver.write(keys[1]!, body);
      const ok = await runPipeline({ lake: store, config, now: later });
      expect(ok.report.releases.filter((r) => r.status === 'released').length).toBeGreaterThan(0);
      expect(ok.report.timings_ms.gold_verify).toBeGreaterThanOrEqual(0);
    } finally {
      await done();
    }
  });
});
