import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { bronzeFormat, ERASURE_PREFIX } from '../bronze/formats.js';
import { type Engine, sqlList, sqlString } from '../engine/duckdb.js';
import { PreconditionFailedError, UserError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import {
  ACTIVITY_PREFIX,
  BLOB_INDEX_PREFIX,
  CommittedView,
  forgetCheckpoint,
  describeFile,
  forgetFile,
  listCheckpoints,
  readManifestRow,
  recordDeleting,
  recordFile,
  recordPendingRewrite,
  readCheckpoint,
  localCopies,
  newRunId,
  openScratch,
  runIdOfPartFile,
  SESSIONS_PREFIX,
  verifyFiles,
} from '../lake/index.js';
import { withLakeLease, type LakeLease, type LakeLeaseOptions } from '../lake/lease.js';
import { loadKeyRing, type KeyRing } from '../silver/key-ring.js';
import type { Lake, ObjectInfo } from '../storage/index.js';
import { parseErasureFile, requestErasure } from './request.js';
import { listErasures, readErasure } from './requests.js';
import { erasedRecords, withoutErasedRecords } from './user-lines.js';

/** What one `flushDeletes` did: counts only, never ids. */
export interface FlushResult {
  /** Requests read from files in `bronze/erasures/` (the files are then deleted). */
  requests_from_files: number;
  /** Request files that could not be read (left in place, with the reason). */
  rejected_files: { key: string; reason: string }[];
  /** Pending requests completed by this flush. */
  erasures_processed: number;
  bronze_blobs_rewritten: number;
  bronze_records_removed: number;
  silver_files_rewritten: number;
  silver_rows_removed: number;
  activity_rows_removed: number;
  quarantine_lines_removed: number;
}

export interface FlushOptions {
  readonly engine?: Engine;
  readonly log?: Logger;
  readonly now?: Date;
  readonly ring?: KeyRing;
  /** The lake lease, when the caller holds it already (a run); otherwise the flush takes it. */
  readonly lease?: LakeLease;
  /** How long to wait (ms) for another writer to free the lake; default 0. */
  readonly leaseWaitMs?: number;
  readonly onLeaseWait?: LakeLeaseOptions['onWait'];
}

/**
 * Processes pending erasure requests: request files in `bronze/erasures/` become requests (and
 * are deleted: they hold raw ids); then, for every pending request, the user's records are
 * removed from Bronze (blobs rewritten; the processed-blob registry follows the new ETag so a
 * rewritten blob is not ingested again), Silver (partitions rewritten), quarantine, the activity
 * ledger and its blob index, and the request is marked done. Idempotent: a crash part-way leaves
 * the requests pending and the next flush finishes the work. Holds the lake lease (one writer at a
 * time); taking it first removes what dead processes left (scratch dirs, temp files), so no copy
 * of the user's data outlives the flush.
 */
export async function flushDeletes(lake: Lake, options: FlushOptions = {}): Promise<FlushResult> {
  const runId = newRunId(options.now);
  return withLakeLease(
    lake,
    { command: 'flush-deletes', runId },
    () => flushUnderLease(lake, runId, options),
    { held: options.lease, waitMs: options.leaseWaitMs, log: options.log, onWait: options.onLeaseWait },
  );
}

async function flushUnderLease(lake: Lake, runId: string, options: FlushOptions): Promise<FlushResult> {
  const log = options.log ?? silentLogger();
  const ring = options.ring ?? (await loadKeyRing(lake));
  const result: FlushResult = {
    requests_from_files: 0,
    rejected_files: [],
    erasures_processed: 0,
    bronze_blobs_rewritten: 0,
    bronze_records_removed: 0,
    silver_files_rewritten: 0,
    silver_rows_removed: 0,
    activity_rows_removed: 0,
    quarantine_lines_removed: 0,
  };
  await readRequestFiles(lake, ring, result, options.now);
  const pending = (await listErasures(lake)).filter((e) => e.status === 'pending');
  if (pending.length === 0) return result;

  const links = new Set<string>(pending.map((e) => e.link));
  const pseudonyms = [...new Set(pending.flatMap((e) => Object.values(e.versions)))];
  const scratch = await openScratch('erasure', runId, { engine: options.engine });
  try {
    const ctx: Ctx = { lake, engine: scratch.engine, tmp: scratch.dir, ring, links, result };
    await purgeBronze(ctx);
    const silver = await rewriteParquet(ctx, 'silver', SESSIONS_PREFIX, 'user_pseudonym', pseudonyms);
    result.silver_files_rewritten = silver.files;
    result.silver_rows_removed = silver.rows;
    result.activity_rows_removed = (
      await rewriteParquet(ctx, 'private', ACTIVITY_PREFIX, 'user', [...links])
    ).rows;
    await rewriteParquet(ctx, 'private', BLOB_INDEX_PREFIX, 'user', [...links]);
    await purgeQuarantine(ctx);
  } finally {
    await scratch.close();
  }

  const table = lake.tables('erasures');
  const processedAt = (options.now ?? new Date()).toISOString();
  for (const e of pending) {
    const stored = await readErasure(lake, e.link);
    if (!stored || stored.record.status !== 'pending') continue;
    try {
      await table.update({ ...stored.entity, status: 'done', processed_at: processedAt }, stored.record.etag);
      result.erasures_processed++;
    } catch (err) {
      // Changed meanwhile (a new key version's pseudonym was added): the next flush finishes it.
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  log.info({ ...result, rejected_files: result.rejected_files.length }, 'erasures flushed');
  return result;
}

interface Ctx {
  readonly lake: Lake;
  readonly engine: Engine;
  readonly tmp: string;
  readonly ring: KeyRing;
  readonly links: ReadonlySet<string>;
  readonly result: FlushResult;
}

async function readRequestFiles(lake: Lake, ring: KeyRing, result: FlushResult, now?: Date): Promise<void> {
  const bronze = lake.objects('bronze');
  const files: ObjectInfo[] = [];
  for await (const obj of bronze.list(ERASURE_PREFIX)) files.push(obj);
  for (const obj of files) {
    let ids: string[];
    try {
      ids = parseErasureFile(obj.key, (await bronze.read(obj.key)).toString('utf8'));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      result.rejected_files.push({ key: obj.key, reason: err.message });
      continue;
    }
    for (const id of ids) await requestErasure(lake, id, { source: `bronze:${obj.key}`, ring, now });
    result.requests_from_files += ids.length;
    await bronze.delete(obj.key); // it holds raw ids: gone once they are recorded as pseudonyms
    await forgetCheckpoint(lake, obj.key);
  }
}

/**
 * Bronze blobs that may hold erased users: those the blob index lists for them, any processed
 * blob whose run wrote no index (processed before the index existed), and every blob not yet
 * processed (new or re-uploaded since), so the user leaves Bronze now, not at the next run.
 */
async function candidateBlobs(ctx: Ctx): Promise<Set<string>> {
  const priv = ctx.lake.objects('private');
  // The committed index files only, checked against the manifest: a missing, truncated or altered
  // index file would silently leave a blob holding the user in Bronze, so it is refused instead.
  // (Uncommitted runs' blobs have no processed checkpoint: they are candidates below anyway.)
  const view = await CommittedView.open(ctx.lake);
  const keep = (): boolean => true;
  const indexKeys = await view.files('blobIndex', keep);
  const indexedRuns = new Set<string>();
  for (const key of indexKeys) {
    const run = runIdOfPartFile(key);
    if (run) indexedRuns.add(run);
  }
  const blobs = new Set<string>();
  const paths = await localCopies(priv, indexKeys, join(ctx.tmp, 'index'));
  await verifyFiles(ctx.lake, view, { dataset: 'blobIndex', keep, keys: indexKeys, paths });
  if (indexKeys.length > 0) {
    const rows = await ctx.engine.all<{ bronze: string }>(
      `SELECT DISTINCT bronze FROM read_parquet(${sqlList(paths)})
       WHERE "user" IN (SELECT unnest(${sqlList([...ctx.links])}::VARCHAR[]))`,
    );
    for (const r of rows) blobs.add(r.bronze);
  }
  const done = new Map<string, string>();
  for await (const { entity } of listCheckpoints(ctx.lake)) {
    done.set(entity.rowKey, entity.etag);
    if (entity.status === 'processed' && !indexedRuns.has(entity.run_id)) blobs.add(entity.rowKey);
  }
  for await (const obj of ctx.lake.objects('bronze').list('')) {
    if (
      done.get(obj.key) !== obj.etag &&
      !obj.key.startsWith(ERASURE_PREFIX) &&
      bronzeFormat(obj.key) !== 'unsupported'
    )
      blobs.add(obj.key);
  }
  return blobs;
}

async function purgeBronze(ctx: Ctx): Promise<void> {
  for (const key of [...(await candidateBlobs(ctx))].sort()) {
    const r = await purgeBronzeBlob(ctx.lake, ctx.engine, key, ctx.ring, ctx.links);
    if (r.removed > 0) {
      ctx.result.bronze_blobs_rewritten++;
      ctx.result.bronze_records_removed += r.removed;
    }
  }
}

/**
 * Rewrites Bronze blob `key` without the records of users in `links` (deleting it when nothing
 * is left) and moves its processed-blob checkpoint to the new ETag, so the rewrite is not taken
 * for a new upload. Records are matched in `engine` by ingest's own user-id SQL. Returns the
 * records removed and the blob's new version (undefined: deleted).
 */
export async function purgeBronzeBlob(
  lake: Lake,
  engine: Engine,
  key: string,
  ring: KeyRing,
  links: ReadonlySet<string>,
): Promise<{ removed: number; info?: ObjectInfo }> {
  const bronze = lake.objects('bronze');
  const before = await bronze.head(key);
  if (!before) return { removed: 0 };
  const rewritten = await withoutErasedRecords(
    await bronze.read(key),
    bronzeFormat(key),
    engine,
    ring,
    links,
  );
  if (!rewritten) return { removed: 0, info: before };
  const table = lake.tables('checkpoints');
  const checkpoint = await readCheckpoint(lake, key);
  const emptied = rewritten.body.length === 0 || isEmptyRecordSet(rewritten.body);
  if (emptied) {
    await bronze.delete(key);
    if (checkpoint) await forgetCheckpoint(lake, key);
    return { removed: rewritten.removed };
  }
  const info = await bronze.write(key, rewritten.body, { ifMatch: before.etag });
  if (checkpoint && checkpoint.entity.etag === before.etag) {
    await table.upsert({ ...checkpoint.entity, etag: info.etag, rewritten_for_erasure: true });
  }
  return { removed: rewritten.removed, info };
}

function isEmptyRecordSet(body: Buffer): boolean {
  if (body[0] === 0x1f && body[1] === 0x8b) return false; // compressed: keep it simple, keep the blob
  const text = body.toString('utf8').trim();
  return text === '' || text === '[]';
}

/** Rewrites every Parquet file under `prefix` holding `column IN values`; returns files and rows removed. */
async function rewriteParquet(
  ctx: Ctx,
  container: 'silver' | 'private',
  prefix: string,
  column: string,
  values: readonly string[],
): Promise<{ files: number; rows: number }> {
  const store = ctx.lake.objects(container);
  const keys: string[] = [];
  for await (const obj of store.list(prefix)) if (obj.key.endsWith('.parquet')) keys.push(obj.key);
  if (keys.length === 0 || values.length === 0) return { files: 0, rows: 0 };
  const dir = join(ctx.tmp, `${container}-${prefix.replace(/\W/g, '')}`);
  const paths = await localCopies(store, keys, dir);
  const match = `"${column}" IN (SELECT unnest(${sqlList(values)}::VARCHAR[]))`;
  const hits = await ctx.engine.all<{ filename: string; n: bigint }>(
    `SELECT filename, count(*) AS n FROM read_parquet(${sqlList(paths)}, filename = true, hive_partitioning = false, union_by_name = true)
     WHERE ${match} GROUP BY filename`,
  );
  let rows = 0;
  for (const hit of hits) {
    const i = paths.indexOf(hit.filename);
    if (i < 0) throw new Error(`internal: erasure matched an unknown file`);
    const key = keys[i]!;
    const out = join(ctx.tmp, `rewrite-${i}.parquet`);
    const [left] = await ctx.engine.all<{ n: bigint }>(
      `SELECT count(*) AS n FROM read_parquet(${sqlString(hit.filename)}, hive_partitioning = false) WHERE NOT (${match})`,
    );
    // The manifest stays true across the rewrite: the current facts (a file without a row, from a
    // lake before manifests, is described as it is), then the pending rewrite, then the final row.
    const run = runIdOfPartFile(key);
    const current =
      run === undefined
        ? undefined
        : ((await readManifestRow(ctx.lake, container, key)) ??
          (await describeFile(ctx.engine, hit.filename)));
    if (Number(left?.n ?? 0n) === 0) {
      if (run !== undefined && current) await recordDeleting(ctx.lake, container, key, run, current);
      await store.delete(key);
      if (run !== undefined) await forgetFile(ctx.lake, container, key);
    } else {
      await ctx.engine
        .run(`COPY (SELECT * FROM read_parquet(${sqlString(hit.filename)}, hive_partitioning = false)
        WHERE NOT (${match})) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
      const next = await describeFile(ctx.engine, out);
      if (run !== undefined && current) {
        await recordPendingRewrite(ctx.lake, container, key, run, current, next);
      }
      await store.uploadFile(out, key, { contentType: 'application/vnd.apache.parquet' });
      if (run !== undefined) await recordFile(ctx.lake, container, key, run, next);
      await rm(out, { force: true });
    }
    rows += Number(hit.n);
  }
  return { files: hits.length, rows };
}

async function purgeQuarantine(ctx: Ctx): Promise<void> {
  const store = ctx.lake.objects('quarantine');
  const keys: string[] = [];
  for await (const obj of store.list('')) keys.push(obj.key);
  for (const key of keys) {
    const lines = (await store.read(key)).toString('utf8').split('\n');
    // A quarantine line names whom its raw Bronze text names (an undecodable line: its own text).
    const drop = await erasedRecords(ctx.engine, ctx.ring, ctx.links, lines.map(rawOfQuarantineLine));
    if (drop.size === 0) continue;
    ctx.result.quarantine_lines_removed += drop.size;
    const kept = lines.filter((_, i) => !drop.has(i));
    if (kept.every((l) => l.trim() === '')) await store.delete(key);
    else await store.write(key, kept.join('\n'), { contentType: 'application/x-ndjson' });
  }
}

/** The part of a quarantine record (`{…, "raw": "<Bronze line>"}`) that holds the Bronze text. */
const QUARANTINE_RAW = z.object({ raw: z.string().nullable().optional() });

function rawOfQuarantineLine(line: string): string {
  if (line.trim() === '') return '';
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line;
  }
  const decoded = QUARANTINE_RAW.safeParse(value);
  if (!decoded.success) return line;
  return decoded.data.raw ?? '';
}
