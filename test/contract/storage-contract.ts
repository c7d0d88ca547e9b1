import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DamagedStateError,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  PreconditionFailedError,
  type LeaseOwner,
} from '../../src/errors.js';
import type { Lake, TableName } from '../../src/storage/index.js';

/**
 * Stores under (`partitionKey`, `rowKey`) of `table` an entity the backend's adapter cannot decode,
 * the way damage looks on that backend (a truncated file locally, a garbled property in Azure).
 */
export type DamageEntity = (
  lake: Lake,
  table: TableName,
  partitionKey: string,
  rowKey: string,
) => Promise<void>;

/** A lease owner on this host; `pid` defaults to this (live) process. */
function owner(runId: string, over: Partial<LeaseOwner> = {}): LeaseOwner {
  return {
    runId,
    command: 'run',
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...over,
  };
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  if (r.pid === undefined) throw new Error('could not spawn a process');
  return r.pid;
}

/**
 * The storage contract every backend must pass identically. Each backend's test file calls this
 * with a factory for a fresh, empty lake and a way to damage one of its entities.
 */
export function storageContract(name: string, freshLake: () => Promise<Lake>, damage: DamageEntity): void {
  describe(`${name}: ObjectStore`, () => {
    it('lists by prefix in key order, with size, quoted ETag and lastModified', async () => {
      const store = (await freshLake()).objects('bronze');
      await store.write('b/2.json', '22');
      await store.write('a/1.json', '1');
      await store.write('b/1.json', '333');
      const all = [];
      for await (const o of store.list('')) all.push(o);
      expect(all.map((o) => o.key)).toEqual(['a/1.json', 'b/1.json', 'b/2.json']);
      const b = [];
      for await (const o of store.list('b/')) b.push(o);
      expect(b.map((o) => [o.key, o.size])).toEqual([
        ['b/1.json', 3],
        ['b/2.json', 2],
      ]);
      expect(all[0]!.etag).toMatch(/^"[^"]+"$/);
      expect(all[0]!.lastModified.getTime()).toBeGreaterThan(Date.now() - 3_600_000);
    });

    it('reads back what was written, whole or streamed', async () => {
      const store = (await freshLake()).objects('silver');
      const body = Buffer.alloc(3 * 1024 * 1024, 7);
      await store.write('x/big.bin', body);
      expect((await store.read('x/big.bin')).equals(body)).toBe(true);
      const chunks: Buffer[] = [];
      for await (const c of await store.readStream('x/big.bin')) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(body)).toBe(true);
      await expect(store.read('nope')).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.head('nope')).toBeUndefined();
    });

    it('changes the ETag on rewrite and honours ifNoneMatch and ifMatch', async () => {
      const store = (await freshLake()).objects('gold');
      const v1 = await store.write('r.json', 'one', { ifNoneMatch: '*' });
      await expect(store.write('r.json', 'two', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(ConflictError);
      expect((await store.read('r.json')).toString()).toBe('one');
      const v2 = await store.write('r.json', 'two!', { ifMatch: v1.etag });
      expect(v2.etag).not.toBe(v1.etag);
      await expect(store.write('r.json', 'three', { ifMatch: v1.etag })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect((await store.read('r.json')).toString()).toBe('two!');
    });

    it('lists across pages (continuation) and by prefix, head agreeing with the listing', async () => {
      const store = (await freshLake()).objects('bronze');
      const keys = [
        '2016/08/01/a.ndjson',
        '2016/08/02/b.ndjson',
        '2016/08/02/c.ndjson',
        '2016/09/x.json',
        'z.json',
      ];
      for (const [i, key] of [...keys].reverse().entries()) await store.write(key, 'x'.repeat(i + 1));
      const all = [];
      for await (const o of store.list()) all.push(o);
      expect(all.map((o) => o.key)).toEqual(keys);
      const aug = [];
      for await (const o of store.list('2016/08/')) aug.push(o.key);
      expect(aug).toEqual(keys.slice(0, 3));
      const none = [];
      for await (const o of store.list('nothing/')) none.push(o);
      expect(none).toEqual([]);
      for (const listed of all) {
        const head = await store.head(listed.key);
        expect(head).toEqual(listed);
      }
    });

    it('returns from write the ETag, size and lastModified that head reports', async () => {
      const store = (await freshLake()).objects('private');
      const before = Date.now() - 60_000;
      const info = await store.write('runs/r.json', '{"a":1}', { contentType: 'application/json' });
      expect(info).toMatchObject({ key: 'runs/r.json', size: 7 });
      expect(info.etag).toMatch(/^"[^"]+"$/);
      const head = await store.head('runs/r.json');
      expect(head?.etag).toBe(info.etag);
      expect(head?.size).toBe(7);
      expect(head!.lastModified.getTime()).toBeGreaterThan(before);
      expect(Math.abs(head!.lastModified.getTime() - info.lastModified.getTime())).toBeLessThan(2_000);
    });

    it('re-writes idempotently: same key, same content, readable, conditional on the new ETag', async () => {
      const store = (await freshLake()).objects('silver');
      const a = await store.write('p/part.parquet', 'same');
      const b = await store.write('p/part.parquet', 'same');
      expect((await store.read('p/part.parquet')).toString()).toBe('same');
      const c = await store.write('p/part.parquet', 'next', { ifMatch: b.etag });
      expect(c.etag).not.toBe(a.etag);
      await expect(store.write('missing', 'x', { ifMatch: b.etag })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      await expect(store.readStream('missing')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('streams a large blob up and down through local files without changing a byte', async () => {
      const store = (await freshLake()).objects('bronze');
      const dir = await mkdtemp(join(tmpdir(), 'dp-contract-'));
      try {
        const body = randomBytes(20 * 1024 * 1024 + 123); // several upload blocks
        await writeFile(join(dir, 'in.bin'), body);
        const up = await store.uploadFile(join(dir, 'in.bin'), 'big/in.bin');
        expect(up.size).toBe(body.length);
        await expect(
          store.uploadFile(join(dir, 'in.bin'), 'big/in.bin', { ifNoneMatch: '*' }),
        ).rejects.toBeInstanceOf(ConflictError);
        await store.downloadFile('big/in.bin', join(dir, 'sub', 'out.bin'));
        expect((await readFile(join(dir, 'sub', 'out.bin'))).equals(body)).toBe(true);
        let streamed = 0;
        let chunks = 0;
        for await (const c of await store.readStream('big/in.bin')) {
          streamed += (c as Buffer).length;
          chunks++;
        }
        expect(streamed).toBe(body.length);
        expect(chunks).toBeGreaterThan(1);
        await expect(store.downloadFile('nope', join(dir, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('deletes idempotently', async () => {
      const store = (await freshLake()).objects('quarantine');
      await store.write('q', 'x');
      expect(await store.delete('q')).toBe(true);
      expect(await store.delete('q')).toBe(false);
    });
  });

  describe(`${name}: TableStore`, () => {
    it('creates once, updates only at the current ETag, lists a partition in row order', async () => {
      const table = (await freshLake()).tables('checkpoints');
      const e1 = await table.create({ partitionKey: 'p', rowKey: 'a/b.json?#', n: 1 });
      await expect(table.create({ partitionKey: 'p', rowKey: 'a/b.json?#', n: 9 })).rejects.toBeInstanceOf(
        ConflictError,
      );
      const e2 = await table.update({ partitionKey: 'p', rowKey: 'a/b.json?#', n: 2 }, e1);
      await expect(
        table.update({ partitionKey: 'p', rowKey: 'a/b.json?#', n: 3 }, e1),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await table.get('p', 'a/b.json?#')).toMatchObject({ entity: { n: 2 }, etag: e2 });
      await table.upsert({ partitionKey: 'p', rowKey: '0', n: 0 });
      await table.upsert({ partitionKey: 'q', rowKey: 'z', n: 5 });
      const rows = [];
      for await (const r of table.list('p')) rows.push(r.entity.rowKey);
      expect(rows).toEqual(['0', 'a/b.json?#']);
      expect(await table.delete('p', '0')).toBe(true);
      expect(await table.delete('p', '0')).toBe(false);
      expect(await table.get('p', '0')).toBeUndefined();
    });
    it('upserts and updates with ETag guards, surfacing a stale ETag as a typed error', async () => {
      const table = (await freshLake()).tables('budget');
      const e1 = await table.upsert({ partitionKey: 'dau', rowKey: '2016-08', spent: 0.5 });
      const e2 = await table.upsert({ partitionKey: 'dau', rowKey: '2016-08', spent: 1 });
      expect(e2).not.toBe(e1);
      await expect(
        table.update({ partitionKey: 'dau', rowKey: '2016-08', spent: 9 }, e1),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      const e3 = await table.update({ partitionKey: 'dau', rowKey: '2016-08', spent: 1.5 }, e2);
      expect(await table.get('dau', '2016-08')).toEqual({
        entity: { partitionKey: 'dau', rowKey: '2016-08', spent: 1.5 },
        etag: e3,
      });
      await expect(
        table.update({ partitionKey: 'dau', rowKey: 'missing', spent: 1 }, e3),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
    });

    it('round-trips every value type and reserved-looking property names exactly', async () => {
      const table = (await freshLake()).tables('releases');
      const entity = {
        partitionKey: 'a b/c\\d',
        rowKey: "it's 100% #1?",
        etag: '"0x8D"',
        timestamp: 'not the service one',
        dp_x: 'escaped',
        big: 2 ** 40 + 1,
        neg: -3,
        frac: 0.1,
        yes: true,
        no: false,
        nothing: null,
        text: 'ünïcödé',
        empty: '',
      };
      await table.upsert(entity);
      expect((await table.get(entity.partitionKey, entity.rowKey))?.entity).toEqual(entity);
      const listed = [];
      for await (const r of table.list()) listed.push(r.entity);
      expect(listed).toEqual([entity]);
      const longKey = 'k'.repeat(700);
      await table.create({ partitionKey: 'long', rowKey: longKey, n: 1 });
      expect((await table.get('long', longKey))?.entity).toEqual({
        partitionKey: 'long',
        rowKey: longKey,
        n: 1,
      });
    });

    it('raises DamagedStateError naming table, partition and row for an entity it cannot decode, and can delete it', async () => {
      const lake = await freshLake();
      const table = lake.tables('checkpoints');
      await table.upsert({ partitionKey: 'bronze', rowKey: 'a/b.ndjson', n: 1 });
      await table.upsert({ partitionKey: 'bronze', rowKey: 'c.ndjson', n: 2 });
      await damage(lake, 'checkpoints', 'bronze', 'a/b.ndjson');

      const err: unknown = await table.get('bronze', 'a/b.ndjson').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DamagedStateError);
      expect((err as DamagedStateError).code).toBe('DAMAGED_STATE');
      expect((err as DamagedStateError).object).toMatch(/^checkpoints entity \(bronze, a\/b\.ndjson\)/);
      expect((err as DamagedStateError).message).not.toContain('\n');
      const listing = async (): Promise<string[]> => {
        const keys: string[] = [];
        for await (const r of table.list('bronze')) keys.push(r.entity.rowKey);
        return keys;
      };
      await expect(listing()).rejects.toThrow(/^checkpoints entity \(bronze, a\/b\.ndjson\).* is damaged \(/);
      expect(await table.get('bronze', 'c.ndjson')).toMatchObject({ entity: { n: 2 } });

      // The remedy the message offers for a checkpoint: delete it.
      expect(await table.delete('bronze', 'a/b.ndjson')).toBe(true);
      expect(await listing()).toEqual(['c.ndjson']);
    });
  });

  describe(`${name}: Lease`, () => {
    it('is held by one owner at a time, names its holder, and is free again once released', async () => {
      const lease = (await freshLake()).lease('lake');
      expect(await lease.holder()).toBeUndefined();
      const a = await lease.acquire(owner('run-a'));
      expect(a.broke).toBeUndefined();
      expect(a.renewEveryMs).toBeGreaterThan(0);
      const refused = await lease.acquire(owner('run-b')).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(LeaseHeldError);
      expect((refused as LeaseHeldError).holder).toEqual(a.owner);
      expect((refused as Error).message).toMatch(/held by run run-a \(pid \d+ on .+, since /);
      expect(await lease.holder()).toEqual({ owner: a.owner });
      await a.renew();
      await a.release();
      await a.release();
      expect(await lease.holder()).toBeUndefined();
      const b = await lease.acquire(owner('run-b'));
      expect(b.broke).toBeUndefined();
      await expect(a.renew()).rejects.toBeInstanceOf(LeaseLostError);
      expect((await lease.holder())?.owner.runId).toBe('run-b');
      await b.release();
    });

    it('gives the lease to exactly one of several owners asking at once', async () => {
      const lease = (await freshLake()).lease('lake');
      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => lease.acquire(owner(`run-${id}`))),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LeaseHeldError);
      }
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lease.acquire>>>).value;
      expect((await lease.holder())?.owner).toEqual(winner.owner);
      await winner.release();
    });

    it('breaks the lease of a holder whose process died on this host; the old holder finds it lost', async () => {
      const lease = (await freshLake()).lease('lake');
      const ghost = await lease.acquire(owner('run-ghost', { pid: deadPid() }));
      expect((await lease.holder())?.stale).toMatch(/no longer running/);
      const next = await lease.acquire(owner('run-next'));
      expect(next.broke?.owner.runId).toBe('run-ghost');
      expect(next.broke?.stale).toMatch(/no longer running/);
      await expect(ghost.renew()).rejects.toBeInstanceOf(LeaseLostError);
      await ghost.release(); // frees nothing: the lease is the new holder's
      expect(await lease.holder()).toEqual({ owner: next.owner });
      await next.release();
    });

    it('keeps a renewing holder on another host: its pid cannot be checked from here', async () => {
      const lease = (await freshLake()).lease('lake');
      const remote = await lease.acquire(owner('run-remote', { pid: deadPid(), host: 'elsewhere-host' }));
      expect(await lease.holder()).toEqual({ owner: remote.owner });
      await expect(lease.acquire(owner('run-local'))).rejects.toBeInstanceOf(LeaseHeldError);
      await remote.release();
    });

    it('keeps leases of different names apart', async () => {
      const lake = await freshLake();
      const a = await lake.lease('lake').acquire(owner('run-a'));
      const b = await lake.lease('other').acquire(owner('run-b'));
      expect((await lake.lease('lake').holder())?.owner.runId).toBe('run-a');
      expect((await lake.lease('other').holder())?.owner.runId).toBe('run-b');
      await a.release();
      await b.release();
    });

    it('sweeps nothing from a lake without leftovers, and keeps every object and entity', async () => {
      const lake = await freshLake();
      await lake.objects('silver').write('sessions/date=2016-08-01/part-x.parquet', 'rows');
      await lake.tables('checkpoints').upsert({ partitionKey: 'bronze', rowKey: 'a.ndjson', etag: '"1"' });
      expect(await lake.sweepTemporaries()).toEqual({ tempFiles: 0, locks: 0 });
      expect(await lake.objects('silver').head('sessions/date=2016-08-01/part-x.parquet')).toBeDefined();
      expect(await lake.tables('checkpoints').get('bronze', 'a.ndjson')).toBeDefined();
    });
  });
}
