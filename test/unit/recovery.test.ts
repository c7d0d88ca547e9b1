import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { listManifest } from '../../src/lake/index.js';
import { ingest, pendingBlobs } from '../../src/pipeline/ingest.js';
import { runPipeline } from '../../src/pipeline/run.js';
import type { FsLake, TableEntity } from '../../src/storage/index.js';
import { testContext } from '../helpers/context.js';
import { tempLake } from '../helpers/lake.js';

let lake: FsLake;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ lake, dir, cleanup } = await tempLake());
  for (const day of ['01', '02', '03']) {
    await cp(`examples/ga360/bronze/2016/08/${day}`, join(dir, 'bronze', '2016', '08', day), {
      recursive: true,
    });
  }
});
afterEach(() => cleanup());

async function silverKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of lake.objects('silver').list('sessions/')) keys.push(o.key);
  return keys;
}

const run = async () => runPipeline({ lake, config: await loadConfig(), rng: seededRandom('recovery') });

describe('crash safety', () => {
  it('discards the Silver files of a run that crashed before committing, then processes its blobs once', async () => {
    // A run that wrote Silver and quarantine but died before its report (the commit point).
    const { ctx, close } = await testContext(lake, await loadConfig());
    const { todo } = await pendingBlobs(ctx);
    const crashed = await ingest(ctx, todo);
    await close();
    expect(crashed.blobs.reduce((a, b) => a + b.silver, 0)).toBeGreaterThan(0);
    expect((await silverKeys()).some((k) => k.includes(ctx.runId))).toBe(true);
    const crashedRows = async () => {
      const rows: string[] = [];
      for await (const row of listManifest(lake)) if (row.run_id === ctx.runId) rows.push(row.rowKey);
      return rows;
    };
    expect((await crashedRows()).filter((k) => k.startsWith('silver/'))).toHaveLength(
      (await silverKeys()).length,
    );

    const result = await run();
    expect((await silverKeys()).some((k) => k.includes(ctx.runId))).toBe(false);
    // Its manifest rows went with its files; the committed run's files have rows of their own.
    expect(await crashedRows()).toEqual([]);
    const rows = new Set<string>();
    for await (const row of listManifest(lake)) rows.add(row.rowKey);
    expect((await silverKeys()).map((k) => `silver/${k}`).filter((k) => !rows.has(k))).toEqual([]);
    expect(result.report.totals.records_read).toBe(crashed.blobs.reduce((a, b) => a + b.records, 0));
    expect(result.report.totals.silver).toBe(crashed.blobs.reduce((a, b) => a + b.silver, 0));
    expect(result.report.totals.duplicates).toBe(crashed.blobs.reduce((a, b) => a + b.duplicates, 0));
  });

  it('re-adds checkpoints of a committed run when the crash came before they were written', async () => {
    const first = await run();
    const table = lake.tables('checkpoints');
    for (const b of first.report.blobs) await table.delete('bronze', b.key);
    const second = await run();
    expect(second.report.totals.records_read).toBe(0);
    expect(second.report.totals.duplicates).toBe(0);
    for (const b of first.report.blobs) expect(await table.get('bronze', b.key)).toBeDefined();
  });

  it('processes a re-uploaded blob again (new ETag) and counts its known sessions as duplicates', async () => {
    const first = await run();
    const key = first.report.blobs[0]!.key;
    const body = await lake.objects('bronze').read(key);
    await new Promise((r) => setTimeout(r, 20));
    await lake.objects('bronze').write(key, body);
    const second = await run();
    expect(second.report.blobs.map((b) => b.key)).toEqual([key]);
    expect(second.report.totals.silver).toBe(0);
    expect(second.report.totals.duplicates).toBe(
      first.report.blobs[0]!.silver + first.report.blobs[0]!.duplicates,
    );
  });

  it('restores the releases row and chart of a release published by a run that crashed right after', async () => {
    const first = await run();
    const released = first.report.releases.filter((r) => r.status === 'released');
    expect(released.length).toBeGreaterThan(0);
    const { analysis, window } = released[0]!;
    const table = lake.tables('releases');
    const row = await table.get<TableEntity & { run_id: string; path: string }>(analysis, window);
    expect(row?.entity.run_id).toBe(first.report.run_id);
    // The crash: the release JSON is published, its row and chart are not.
    await table.delete(analysis, window);
    await lake.objects('gold').delete(`releases/${analysis}/${window}.png`);

    const second = await run();
    expect(second.report.epsilon_spent).toBe(0);
    const restored = await table.get<TableEntity & { run_id: string; path: string }>(analysis, window);
    expect(restored?.entity).toMatchObject({ run_id: first.report.run_id, path: row!.entity.path });
    expect(await lake.objects('gold').head(`releases/${analysis}/${window}.png`)).toBeDefined();
  });
});
