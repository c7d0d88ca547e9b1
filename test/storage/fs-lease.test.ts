import { spawnSync } from 'node:child_process';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseHeldError, LeaseLostError, type LeaseOwner } from '../../src/errors.js';
import { breakIfAbandoned } from '../../src/storage/fs/file-lock.js';
import { FsLake } from '../../src/storage/index.js';
import { tempLake } from '../helpers/lake.js';

function owner(runId: string): LeaseOwner {
  return { runId, command: 'run', pid: process.pid, host: hostname(), since: new Date().toISOString() };
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  if (r.pid === undefined) throw new Error('could not spawn a process');
  return r.pid;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempLake());
});
afterEach(() => cleanup());

describe('local lease heartbeat', () => {
  it('lets another owner break a lease whose holder stopped renewing, and tells the old holder', async () => {
    const lake = new FsLake(dir, { lease: { staleAfterMs: 300, renewEveryMs: 50 } });
    const a = await lake.lease('lake').acquire(owner('run-a'));
    await expect(lake.lease('lake').acquire(owner('run-b'))).rejects.toBeInstanceOf(LeaseHeldError);
    await sleep(450);
    expect((await lake.lease('lake').holder())?.stale).toMatch(/no heartbeat for \d+ s/);
    const b = await lake.lease('lake').acquire(owner('run-b'));
    expect(b.broke?.owner.runId).toBe('run-a');
    const lost = await a.renew().catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LeaseLostError);
    expect((lost as Error).message).toMatch(/lost the lease 'lake' to run run-b/);
    await b.release();
  });

  it('keeps a lease whose holder renews it, long past the staleness limit', async () => {
    const lake = new FsLake(dir, { lease: { staleAfterMs: 300, renewEveryMs: 50 } });
    const a = await lake.lease('lake').acquire(owner('run-a'));
    for (let i = 0; i < 8; i++) {
      await sleep(100);
      await a.renew();
    }
    await expect(lake.lease('lake').acquire(owner('run-b'))).rejects.toBeInstanceOf(LeaseHeldError);
    await a.release();
  });

  it('never reuses a generation: a released lease is taken as the next one and old files are removed', async () => {
    const lake = new FsLake(dir);
    for (const id of ['a', 'b', 'c']) await (await lake.lease('lake').acquire(owner(`run-${id}`))).release();
    expect(await readdir(join(dir, 'leases', 'lake'))).toEqual(['000000000003.json']);
  });

  it('treats an unreadable lease file as held until it is older than the staleness limit', async () => {
    const lake = new FsLake(dir, { lease: { staleAfterMs: 300 } });
    await mkdir(join(dir, 'leases', 'lake'), { recursive: true });
    await writeFile(join(dir, 'leases', 'lake', '000000000007.json'), '{"schema":"dp-pipeline/lease@9"');
    await expect(lake.lease('lake').acquire(owner('run-a'))).rejects.toThrow(/unreadable/);
    await sleep(400);
    const a = await lake.lease('lake').acquire(owner('run-a'));
    expect(a.broke?.stale).toMatch(/no heartbeat/);
    await a.release();
  });
});

describe('local table locks', () => {
  it('breaks a lock left by a dead process at once instead of after 30 s', async () => {
    const lake = new FsLake(dir);
    const table = lake.tables('checkpoints');
    await table.upsert({ partitionKey: 'bronze', rowKey: 'a.ndjson', n: 1 });
    const path = join(dir, 'tables', 'checkpoints', 'bronze', 'a%2Endjson.json');
    await writeFile(
      `${path}.lock`,
      JSON.stringify({ pid: deadPid(), host: hostname(), at: new Date().toISOString() }),
    );
    const t0 = Date.now();
    await table.upsert({ partitionKey: 'bronze', rowKey: 'a.ndjson', n: 2 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect((await table.get('bronze', 'a.ndjson'))?.entity.n).toBe(2);
  });

  it('keeps a lock of a live process, and breaks an ownerless one only once it is 30 s old', async () => {
    const lock = join(dir, 'x.json.lock');
    await writeFile(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }),
    );
    expect(await breakIfAbandoned(lock)).toBe(false);
    await writeFile(lock, ''); // an older version's lock: no owner
    expect(await breakIfAbandoned(lock)).toBe(false);
    const old = new Date(Date.now() - 31_000);
    await utimes(lock, old, old);
    expect(await breakIfAbandoned(lock)).toBe(true);
    expect(await readdir(dir)).not.toContain('x.json.lock');
  });
});

describe('local sweep of leftovers', () => {
  it("removes dead writers' temp files and locks, keeping a live writer's and every object", async () => {
    const lake = new FsLake(dir);
    const silver = lake.objects('silver');
    await silver.write('sessions/date=2016-08-01/part-r.parquet', 'committed rows');
    const part = join(dir, 'silver', 'sessions', 'date=2016-08-01');
    const dead = deadPid();
    const old = new Date(Date.now() - 11 * 60_000);
    await writeFile(join(part, `part-r2.parquet.dp-tmp-${dead}-0123456789ab`), 'orphan rows');
    await writeFile(join(part, `part-r3.parquet.dp-tmp-${process.pid}-0123456789ab`), 'being written');
    await writeFile(join(part, 'part-r4.parquet.dp-tmp-0123456789ab'), 'older version, fresh');
    await writeFile(join(part, 'part-r5.parquet.dp-tmp-abcdef012345'), 'older version, old');
    await utimes(join(part, 'part-r5.parquet.dp-tmp-abcdef012345'), old, old);
    await lake.tables('checkpoints').upsert({ partitionKey: 'bronze', rowKey: 'a', n: 1 });
    const rows = join(dir, 'tables', 'checkpoints', 'bronze');
    await writeFile(join(rows, `a.json.tmp-${dead}`), '{}');
    await writeFile(join(rows, 'a.json.lock'), JSON.stringify({ pid: dead, host: hostname(), at: '' }));

    expect(await lake.sweepTemporaries()).toEqual({ tempFiles: 3, locks: 1 });
    expect((await readdir(part)).sort()).toEqual([
      'part-r.parquet',
      'part-r3.parquet.dp-tmp-' + `${process.pid}-0123456789ab`,
      'part-r4.parquet.dp-tmp-0123456789ab',
    ]);
    expect(await readdir(rows)).toEqual(['a.json']);
  });
});
