import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ingest, pendingBlobs } from '../../src/pipeline/ingest.js';
import { PseudonymKey } from '../../src/silver/pseudonym.js';
import type { RawUserId } from '../../src/silver/pseudonym.js';
import type { FsLake } from '../../src/storage/index.js';
import { testContext } from '../helpers/context.js';
import { gaLine, tempLake } from '../helpers/lake.js';

let lake: FsLake;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ lake, cleanup } = await tempLake()));
afterEach(() => cleanup());

async function silverRows(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const obj of lake.objects('silver').list('sessions/')) {
    const file = await asyncBufferFromFile(lake.objects('silver').localPath!(obj.key));
    rows.push(...(await parquetReadObjects({ file, compressors })));
  }
  return rows;
}

async function quarantine(): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const obj of lake.objects('quarantine').list('')) {
    const text = (await lake.objects('quarantine').read(obj.key)).toString('utf8');
    out.push(
      ...text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }
  return out;
}

describe('ingest: Bronze → Silver with bad input', () => {
  it('quarantines each kind of bad record with a clear reason and keeps the good records of the same blob', async () => {
    const good = [
      gaLine({ user: '0001', visit: '1470000001', timeOnSite: '287' }),
      gaLine({ user: '0002', visit: '1470000002', device: 'mobile', continent: 'Asia' }),
      // The flat event shape, with `user_id`, numbers as JSON numbers and `device` as a bare category.
      JSON.stringify({
        user_id: 'u-9',
        visitId: '1470000009',
        visitNumber: 2,
        visitStartTime: '1470000009',
        date: '20160801',
        device: 'Tablet',
        geoNetwork: null,
        summary: { num_hits: 4, num_pageviews: 3, total_time_on_page: 5000 },
      }),
    ];
    const lines = [
      good[0],
      'this is not json',
      '[1, 2, 3]',
      gaLine({ user: '' }),
      gaLine({ user: '0003', date: '20161301' }),
      gaLine({ user: '0004', hits: 'many' }),
      gaLine({ user: '0005', hits: '-3' }),
      gaLine({ user: '0006', device: 'toaster' }),
      gaLine({ user: '0007', continent: 'Atlantis' }),
      '{"x":"' + 'y'.repeat(10 * 1024 * 1024) + '"}',
      good[1],
      gaLine({ user: '0001', visit: '1470000001', date: '20160802' }), // the after-midnight copy: a duplicate
      good[2],
    ];
    await lake.objects('bronze').write('2016/08/01/day.ndjson.gz', gzipSync(lines.join('\n') + '\n'));
    const realDay = await readFile('examples/ga360/bronze/2016/08/01/ga_sessions_20160801.ndjson.gz');
    await lake.objects('bronze').write('2016/08/01/truncated.ndjson.gz', realDay.subarray(0, 20000));
    await lake.objects('bronze').write('2016/08/01/empty.ndjson', '');
    await lake
      .objects('bronze')
      .write('events/sample.json', await readFile('examples/seed-events/sample.json'));

    const { ctx, close } = await testContext(lake);
    try {
      const { todo } = await pendingBlobs(ctx);
      const result = await ingest(ctx, todo);
      const byKey = Object.fromEntries(result.blobs.map((b) => [b.key, b]));

      expect(byKey['2016/08/01/day.ndjson.gz']).toMatchObject({
        records: 13,
        silver: 3,
        rejected: 9,
        duplicates: 1,
      });
      expect(byKey['2016/08/01/empty.ndjson']).toMatchObject({ records: 1, silver: 0, rejected: 1 });
      const truncated = byKey['2016/08/01/truncated.ndjson.gz']!;
      expect(truncated.silver).toBeGreaterThan(100);
      expect(truncated.rejected).toBe(1);
      // The 5 seed events are real 2016-08-01 sessions: those also in the truncated GA360 file are duplicates.
      const seedBlob = byKey['events/sample.json']!;
      expect(seedBlob).toMatchObject({ records: 5, rejected: 0 });
      expect(seedBlob.silver + seedBlob.duplicates).toBe(5);
      for (const b of result.blobs) expect(b.records).toBe(b.silver + b.rejected + b.duplicates);

      const q = await quarantine();
      const reasons = q
        .filter((r) => r.bronze === '2016/08/01/day.ndjson.gz')
        .map((r) => [r.line, r.reason_code, r.reason]);
      expect(reasons).toEqual([
        [2, 'not_json', 'line is not valid JSON'],
        [3, 'not_object', 'line is JSON but not an object'],
        [4, 'missing_field', 'fullVisitorId: missing (the user id is required)'],
        [5, 'invalid_date', 'date: "20161301" is not a valid YYYYMMDD date'],
        [6, 'invalid_integer', 'totals.hits: "many" is not a non-negative integer'],
        [7, 'invalid_integer', 'totals.hits: "-3" is not a non-negative integer'],
        [8, 'invalid_enum', 'device.deviceCategory: "toaster" is not one of desktop, mobile, tablet'],
        [
          9,
          'invalid_enum',
          'geoNetwork.continent: "Atlantis" is not one of Africa, Americas, Asia, Europe, Oceania, (not set)',
        ],
        [10, 'line_too_long', expect.stringContaining('over the 4194304-byte limit')],
      ]);
      expect(q.find((r) => r.bronze === '2016/08/01/truncated.ndjson.gz')).toMatchObject({
        reason_code: 'corrupt_gzip',
      });
      expect(q.find((r) => r.bronze === '2016/08/01/empty.ndjson')).toMatchObject({
        reason_code: 'empty_blob',
      });

      // Independent check of what DuckDB wrote, with a pure-JS Parquet reader.
      const rows = await silverRows();
      expect(rows).toHaveLength(3 + truncated.silver + seedBlob.silver);
      const key = PseudonymKey.fromBytes(
        'v1',
        Buffer.from(
          JSON.parse((await lake.objects('private').read('keys/pseudonym-key.json')).toString()).key,
          'hex',
        ),
      );
      expect(rows.find((r) => r.session_id === '1470000009')).toMatchObject({
        device_category: 'tablet',
        continent: '(not set)',
        hits: 4,
        pageviews: 3,
        time_on_site_ms: 5000n,
        visit_number: 2,
        user_pseudonym: key.pseudonymize('u-9' as RawUserId),
      });
      const first = rows.find((r) => r.session_id === '1470000001')!;
      expect(first.user_pseudonym).toBe(key.pseudonymize('0001' as RawUserId));
      expect(first).toMatchObject({
        time_on_site_ms: 287000n,
        continent: 'Europe',
        device_category: 'desktop',
        hits: 3,
      });
      expect(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
        '895954260133011192',
      );
      const seed = rows.filter((r) => r.session_id === '1470046245');
      expect(seed).toHaveLength(1); // the seed-event copy of a GA360 session
      expect(seed[0]).toMatchObject({
        time_on_site_ms: 287000n,
        hits: 24,
        pageviews: 17,
        device_category: 'desktop',
      });
    } finally {
      await close();
    }
  });
});

describe('ingest in batches', () => {
  it('gives the same Silver and tallies one blob per batch as in one batch (duplicates found across batches)', async () => {
    const { cp } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const other = await tempLake();
    try {
      for (const l of [lake, other.lake]) {
        for (const day of ['14', '15', '16', '17']) {
          await cp(`examples/ga360/bronze/2016/08/${day}`, join(l.root, 'bronze', day), { recursive: true });
        }
      }
      const one = await testContext(lake);
      const many = await testContext(other.lake);
      try {
        const a = await ingest(one.ctx, (await pendingBlobs(one.ctx)).todo);
        const b = await ingest(many.ctx, (await pendingBlobs(many.ctx)).todo, { batchBytes: 1 });
        const totals = (r: typeof a) =>
          r.blobs.reduce((t, x) => [t[0]! + x.silver, t[1]! + x.duplicates, t[2]! + x.rejected], [0, 0, 0]);
        expect(totals(a)[1]).toBeGreaterThan(0); // midnight-crossing sessions between these days
        expect(totals(b)).toEqual(totals(a));
        expect(b.blobs).toEqual(a.blobs.map((x, i) => ({ ...x, etag: b.blobs[i]!.etag })));
      } finally {
        await one.close();
        await many.close();
      }
    } finally {
      await other.cleanup();
    }
  });
});

describe('ingest: blobs with nothing to stage never wedge a batch', () => {
  const MiB = 1024 * 1024;
  const lines = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) =>
      gaLine({ user: `9${from + i}`, visit: String(1480000000 + from + i) }),
    )
      .join('\n')
      .concat('\n');
  const bombSessions = Array.from({ length: 200 }, (_, i) => String(1480000000 + i));

  /** Each hostile blob, with what it must become (records, rejection codes); then two good days. */
  async function writeBronze(): Promise<Record<string, [number, string[]]>> {
    const bronze = lake.objects('bronze');
    const realDay = await readFile('examples/ga360/bronze/2016/08/01/ga_sessions_20160801.ndjson.gz');
    const long = '{"x":"' + 'y'.repeat(5 * MiB) + '"}'; // over the 4 MiB staged for a session's fields
    const hostile: Record<string, [Buffer | string, number, string[]]> = {
      'h/empty.ndjson': ['', 1, ['empty_blob']],
      'h/blank.ndjson': [' \n\t\n\n', 1, ['empty_blob']],
      'h/nul.ndjson': ['{"fullVisitorId":"\0"}', 1, ['control_character']],
      'h/long-line.ndjson': [long, 1, ['line_too_long']],
      'h/long-line.ndjson.gz': [gzipSync(long), 1, ['line_too_long']],
      // 200 good lines, then a member inflating to 64 MiB: over the 8 MiB limit, rejected whole.
      'h/bomb.ndjson.gz': [
        Buffer.concat([gzipSync(lines(0, 200)), gzipSync(Buffer.alloc(64 * MiB, 0x20))]),
        1,
        ['blob_too_large'],
      ],
      'h/truncated-early.ndjson.gz': [realDay.subarray(0, 100), 1, ['corrupt_gzip']],
      'h/broken.json': ['[' + lines(300, 3).trim().split('\n').join(',') + ',', 1, ['not_json']],
      'h/empty-array.json': ['[]', 1, ['empty_blob']],
    };
    for (const [key, [body]] of Object.entries(hostile)) await bronze.write(key, body);
    for (const day of ['02', '03']) {
      await bronze.write(
        `2016/08/${day}/day.ndjson.gz`,
        await readFile(`examples/ga360/bronze/2016/08/${day}/ga_sessions_201608${day}.ndjson.gz`),
      );
    }
    return Object.fromEntries(Object.entries(hostile).map(([k, [, n, codes]]) => [k, [n, codes]]));
  }

  for (const [label, batchBytes] of [
    ['each alone in its batch', 1],
    ['mixed in one batch with good blobs', 1 << 30],
  ] as const) {
    it(`accounts for every hostile blob ${label}, keeps the good blobs, and ingests again on the same engine`, async () => {
      const expected = await writeBronze();
      const config = { ...(await loadConfig()), max_blob_bytes: 8 * MiB };
      const { ctx, close } = await testContext(lake, config);
      try {
        const { todo } = await pendingBlobs(ctx);
        const first = await ingest(ctx, todo, { batchBytes });
        const byKey = Object.fromEntries(first.blobs.map((b) => [b.key, b]));
        for (const [key, [records]] of Object.entries(expected)) {
          expect(byKey[key], key).toMatchObject({ records, rejected: records, silver: 0, duplicates: 0 });
        }
        for (const b of first.blobs) expect(b.records, b.key).toBe(b.silver + b.rejected + b.duplicates);
        const goodSilver = first.blobs.filter((b) => b.key.startsWith('2016/')).map((b) => b.silver);
        expect(goodSilver.every((n) => n > 1000)).toBe(true);

        const reasons = (await quarantine()).map((r) => [r.bronze, r.reason_code]);
        expect(reasons.filter(([k]) => String(k).startsWith('h/')).sort()).toEqual(
          Object.entries(expected)
            .flatMap(([k, [, codes]]) => codes.map((c) => [k, c]))
            .sort(),
        );
        expect((await quarantine()).find((r) => r.reason_code === 'blob_too_large')?.reason).toContain(
          `more than ${8 * MiB} bytes (max_blob_bytes)`,
        );
        // The bomb's lines staged before it hit the limit never reach Silver.
        const rows = await silverRows();
        const sessions = new Set(rows.map((r) => r.session_id));
        expect(bombSessions.filter((s) => sessions.has(s))).toEqual([]);
        expect(rows).toHaveLength(goodSilver.reduce((a, b) => a + b, 0));

        // Nothing of the first ingest is read by the second: same engine, same tallies.
        const again = await ingest(ctx, todo, { batchBytes });
        expect(again.blobs).toEqual(first.blobs);
      } finally {
        await close();
      }
    });
  }

  it('ingests on an engine where an earlier attempt failed half-way through a batch', async () => {
    await writeBronze();
    const { ctx, close } = await testContext(lake, { ...(await loadConfig()), max_blob_bytes: 8 * MiB });
    try {
      const { todo } = await pendingBlobs(ctx);
      // The attempt fails after DuckDB created the batch's relations, when it uploads Silver.
      const failingSilver: FsLake = Object.create(lake);
      failingSilver.objects = (container) => {
        const store = lake.objects(container);
        if (container !== 'silver') return store;
        return Object.assign(Object.create(store), {
          uploadFile: () => Promise.reject(new Error('storage is down')),
        });
      };
      await expect(ingest({ ...ctx, lake: failingSilver }, todo, { batchBytes: 1 })).rejects.toThrow(
        'storage is down',
      );
      const leftovers = `SELECT table_name AS name FROM duckdb_tables() WHERE temporary
        UNION ALL SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal`;
      expect(await ctx.engine.all(leftovers)).toEqual([]);
      const result = await ingest(ctx, todo, { batchBytes: 1 });
      expect(await ctx.engine.all(leftovers)).toEqual([]);
      expect(result.blobs).toHaveLength(todo.length);
      for (const b of result.blobs) expect(b.records, b.key).toBe(b.silver + b.rejected + b.duplicates);
      expect(result.blobs.reduce((n, b) => n + b.silver, 0)).toBeGreaterThan(2000);
    } finally {
      await close();
    }
  });
});
