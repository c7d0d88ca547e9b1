import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../src/errors.js';
import type { Lake } from '../../src/storage/index.js';

/**
 * The storage contract every backend must pass identically. Each backend's test file calls this
 * with a factory for a fresh, empty lake.
 */
export function storageContract(name: string, freshLake: () => Promise<Lake>): void {
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
  });
}
