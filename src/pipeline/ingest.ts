import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bronzeFormat, ERASURE_PREFIX } from '../bronze/formats.js';
import type { Rejection, RejectionCode } from '../bronze/rejection.js';
import { STAGE_SEPARATOR, stageBlobs, type StagedBlob } from '../bronze/stage.js';
import { sqlList, sqlString } from '../engine/duckdb.js';
import {
  activityFileKey,
  blobIndexKey,
  CommittedView,
  dateOfSilverKey,
  localCopies,
  quarantineKey,
  silverFileKey,
  unprocessedBlobs,
} from '../lake/index.js';
import { erasedLinks } from '../erasure/requests.js';
import { loadKeyRing, type KeyRing } from '../silver/key-ring.js';
import { SILVER_SELECT, keyRingParams, keySchedule, parseSql } from '../silver/transform-sql.js';
import { mapConcurrently } from '../concurrency.js';
import type { ObjectInfo } from '../storage/index.js';
import { timed, type RunContext } from './context.js';
import type { BlobTally } from './report.js';

export interface IngestResult {
  blobs: BlobTally[];
  readonly ignored: { key: string; reason: string; etag: string }[];
  readonly rejectedByReason: Partial<Record<RejectionCode, number>>;
  readonly silverDates: string[];
  /** Silver rows written this run, per month `YYYY-MM`. */
  readonly silverByMonth: Record<string, number>;
}

/** Bronze blobs not yet processed: absent from the checkpoint registry, or changed (new ETag). */
export async function pendingBlobs(ctx: RunContext): Promise<{ todo: ObjectInfo[]; ignored: ObjectInfo[] }> {
  const todo: ObjectInfo[] = [];
  const ignored: ObjectInfo[] = [];
  for (const blob of await unprocessedBlobs(ctx.lake)) {
    if (blob.key.startsWith(ERASURE_PREFIX) || bronzeFormat(blob.key) === 'unsupported') ignored.push(blob);
    else todo.push(blob);
  }
  return { todo, ignored };
}

/** Estimated uncompressed bytes staged per batch: bounds the engine's working set. */
const BATCH_BYTES = 256 * 1024 * 1024;
/** gzip'd NDJSON of web sessions inflates about 8-14×; 8 keeps batches under the budget for typical data. */
const GZIP_RATIO = 8;

/** What every batch of one run shares, read once per run. */
interface RunState {
  /** Silver files a batch deduplicates against: committed before this run, then earlier batches'. */
  readonly silver: string[];
  readonly filesPerDate: Map<string, number>;
  readonly activityPerMonth: Map<string, number>;
  readonly ring: KeyRing;
  /** Link pseudonyms of erased users: their late lines are dropped on arrival. */
  readonly erased: readonly string[];
  batch: number;
}

/**
 * Bronze → Silver for `blobs`, in batches of about `BATCH_BYTES` so memory stays bounded
 * whatever the input size: frame (Node), then parse, validate, type, pseudonymize and
 * deduplicate (DuckDB), write Silver Parquet and quarantine files. Nothing is committed here:
 * the caller writes the run report, then the checkpoints.
 */
export async function ingest(
  ctx: RunContext,
  blobs: readonly ObjectInfo[],
  options: { batchBytes?: number } = {},
): Promise<Omit<IngestResult, 'ignored'>> {
  const result = {
    blobs: [] as BlobTally[],
    rejectedByReason: {} as Partial<Record<RejectionCode, number>>,
    silverDates: new Set<string>(),
    silverByMonth: {} as Record<string, number>,
  };
  const state: RunState = {
    silver: await (await CommittedView.open(ctx.lake)).files('silver'),
    filesPerDate: new Map(),
    activityPerMonth: new Map(),
    ring: await loadKeyRing(ctx.lake),
    erased: [...(await erasedLinks(ctx.lake))],
    batch: 0,
  };
  for (const batch of batches(blobs, options.batchBytes ?? BATCH_BYTES)) {
    const r = await ingestBatch(ctx, batch, state);
    result.blobs.push(...r.blobs);
    for (const [code, n] of Object.entries(r.rejectedByReason)) {
      result.rejectedByReason[code as RejectionCode] =
        (result.rejectedByReason[code as RejectionCode] ?? 0) + n;
    }
    for (const d of r.silverDates) result.silverDates.add(d);
    for (const [m, n] of Object.entries(r.silverByMonth))
      result.silverByMonth[m] = (result.silverByMonth[m] ?? 0) + n;
  }
  return { ...result, silverDates: [...result.silverDates].sort() };
}

function* batches(blobs: readonly ObjectInfo[], budget: number): Generator<ObjectInfo[]> {
  let batch: ObjectInfo[] = [];
  let bytes = 0;
  for (const blob of blobs) {
    const estimate = blob.key.toLowerCase().endsWith('.gz') ? blob.size * GZIP_RATIO : blob.size;
    if (batch.length > 0 && bytes + estimate > budget) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(blob);
    bytes += estimate;
  }
  if (batch.length > 0) yield batch;
}

async function ingestBatch(
  ctx: RunContext,
  blobs: readonly ObjectInfo[],
  state: RunState,
): Promise<Omit<IngestResult, 'ignored'>> {
  const { engine, config, runId } = ctx;
  const stageDir = join(ctx.tmpDir, 'stage');
  await mkdir(stageDir, { recursive: true });

  const staged = await timed(ctx, 'frame', () =>
    stageBlobs(ctx.lake.objects('bronze'), blobs, stageDir, config.max_line_bytes, (done, total) =>
      ctx.progress('reading bronze', done, total),
    ),
  );
  const files = staged.flatMap((s) => (s.file ? [s.file] : []));
  ctx.log.info({ run: runId, blobs: blobs.length, staged_files: files.length }, 'bronze framed');

  ctx.progress('parsing', 0, 1);
  if (files.length > 0) {
    await engine.run(`CREATE OR REPLACE TEMP VIEW staged_lines AS
      SELECT * FROM read_csv(${sqlList(files)}, columns = {'blob': 'INTEGER', 'line_no': 'BIGINT', 'line': 'VARCHAR'},
        delim = '${STAGE_SEPARATOR}', quote = '', escape = '', header = false, auto_detect = false, new_line = '\\n',
        max_line_size = ${config.max_line_bytes + 64})`);
  } else {
    await engine.run(
      `CREATE OR REPLACE TEMP TABLE staged_lines (blob INTEGER, line_no BIGINT, line VARCHAR)`,
    );
  }
  await timed(ctx, 'parse', () => engine.run(parseSql(keySchedule(state.ring)), keyRingParams(state.ring)));
  await assertStagedCounts(ctx, staged);

  // Lines of erased users are dropped on arrival (and their Bronze blob is rewritten by the caller).
  await engine.run(`CREATE OR REPLACE TEMP TABLE erased_lines AS
    SELECT blob, line_no FROM parsed
    WHERE user_link IN (SELECT unnest(${sqlList(state.erased)}::VARCHAR[]))`);

  // Inside this batch the earliest date wins (then blob order, then line order): only keys seen
  // more than once need a winner. Across runs the copy already in Silver wins: Silver is append-only.
  // A key seen once has a hash seen once (unless hashes collide), so grouping the 64-bit hashes
  // first leaves the exact grouping on strings only the few candidate rows: same result, ~3× faster.
  await timed(ctx, 'dedupe', () =>
    engine.run(`CREATE OR REPLACE TEMP TABLE repeated AS
    WITH candidates AS (
      SELECT hash(user_link, session_id) AS h FROM parsed WHERE reason_code IS NULL GROUP BY h HAVING count(*) > 1
    )
    SELECT user_link, session_id, min({'d': date, 'b': blob, 'l': line_no}) AS winner
    FROM parsed ANTI JOIN erased_lines USING (blob, line_no)
    WHERE reason_code IS NULL AND hash(user_link, session_id) IN (SELECT h FROM candidates)
    GROUP BY ALL HAVING count(*) > 1`),
  );
  // Copies of one session key are at most a day apart (GA360 splits sessions at midnight), so
  // only Silver partitions from the day before to the day after this batch's dates can hold them.
  const [range] = await engine.all<{ lo: string | null; hi: string | null }>(
    `SELECT strftime(min(date) - 1, '%Y-%m-%d') AS lo, strftime(max(date) + 1, '%Y-%m-%d') AS hi FROM parsed`,
  );
  const inRange = (key: string): boolean => {
    const d = dateOfSilverKey(key);
    return d !== undefined && range?.lo != null && range.hi != null && d >= range.lo && d <= range.hi;
  };
  const existing = state.silver.filter(inRange);
  if (existing.length > 0) {
    const paths = await localCopies(ctx.lake.objects('silver'), existing, join(ctx.tmpDir, 'silver-in'));
    await engine.run(`CREATE OR REPLACE TEMP TABLE existing AS
      SELECT DISTINCT s.user_pseudonym, s.session_id
      FROM read_parquet(${sqlList(paths)}, hive_partitioning = false) s
      SEMI JOIN (SELECT user_pseudonym, session_id FROM parsed WHERE reason_code IS NULL) p USING (user_pseudonym, session_id)`);
  } else {
    await engine.run(`CREATE OR REPLACE TEMP TABLE existing (user_pseudonym VARCHAR, session_id VARCHAR)`);
  }
  // The few rows that lose (a later copy in this batch, or a key already in Silver), by position.
  await timed(ctx, 'dedupe', () =>
    engine.run(`CREATE OR REPLACE TEMP TABLE losers AS
      SELECT p.blob, p.line_no FROM parsed p JOIN repeated r USING (user_link, session_id)
      WHERE NOT (r.winner.b = p.blob AND r.winner.l = p.line_no)
      UNION
      SELECT p.blob, p.line_no FROM parsed p JOIN existing e USING (user_pseudonym, session_id)`),
  );
  await engine.run(`CREATE OR REPLACE TEMP VIEW classified AS
    SELECT p.*, (e.blob IS NOT NULL) AS erased,
      (p.reason_code IS NULL AND l.blob IS NULL AND e.blob IS NULL) AS to_silver
    FROM parsed p LEFT JOIN losers l USING (blob, line_no) LEFT JOIN erased_lines e USING (blob, line_no)`);
  await engine.run(`CREATE OR REPLACE TEMP VIEW silver_rows AS
    SELECT p.* FROM parsed p ANTI JOIN losers l USING (blob, line_no) ANTI JOIN erased_lines e USING (blob, line_no)
    WHERE p.reason_code IS NULL`);

  const silverOut = join(ctx.tmpDir, 'silver-out');
  ctx.progress('writing silver', 0, 1);
  await timed(ctx, 'write_silver', () =>
    engine.run(`COPY (
      SELECT ${SILVER_SELECT}, ${sqlString(runId)} AS ingest_run
      FROM silver_rows)
    TO ${sqlString(silverOut)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (date), WRITE_PARTITION_COLUMNS true,
      FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true)`),
  );
  const silverDates = await timed(ctx, 'upload_silver', () => uploadSilver(ctx, silverOut, state));
  await rm(silverOut, { recursive: true, force: true });
  await timed(ctx, 'activity', () => writeActivity(ctx, staged, state));

  const tallies = await timed(ctx, 'tally', () => tallyBlobs(ctx, staged));
  const rejectedByReason = await timed(ctx, 'quarantine', () => writeQuarantine(ctx, staged));
  const byMonth = await engine.all<{ month: string; n: bigint }>(
    `SELECT strftime(date, '%Y-%m') AS month, count(*) AS n FROM silver_rows GROUP BY 1`,
  );
  await engine.run('DROP VIEW IF EXISTS classified');
  await engine.run('DROP VIEW IF EXISTS silver_rows');
  await engine.run('DROP VIEW IF EXISTS staged_lines');
  for (const t of ['staged_lines', 'parsed', 'repeated', 'existing', 'losers', 'erased_lines', 'blob_keys'])
    await engine.run(`DROP TABLE IF EXISTS ${t}`);
  return {
    blobs: tallies,
    rejectedByReason,
    silverDates,
    silverByMonth: Object.fromEntries(byMonth.map((r) => [r.month, Number(r.n)])),
  };
}

/** Every framed line must reach DuckDB: a mismatch means a reader dropped or split lines. */
async function assertStagedCounts(ctx: RunContext, staged: readonly StagedBlob[]): Promise<void> {
  const rows = await ctx.engine.all<{ blob: number; n: bigint }>(
    'SELECT blob, count(*) AS n FROM parsed GROUP BY blob',
  );
  const counted = new Map(rows.map((r) => [r.blob, Number(r.n)]));
  for (const s of staged) {
    const got = counted.get(s.index) ?? 0;
    if (got !== s.staged) {
      throw new Error(`internal: ${s.blob.key} framed ${s.staged} lines but the engine read ${got}`);
    }
  }
}

async function uploadSilver(ctx: RunContext, dir: string, state: RunState): Promise<string[]> {
  const store = ctx.lake.objects('silver');
  const partitions = (await readdir(dir).catch(() => [] as string[]))
    .filter((d) => d.startsWith('date='))
    .sort();
  const uploads: { file: string; key: string }[] = [];
  for (const partition of partitions) {
    const date = partition.slice('date='.length);
    const parts = (await readdir(join(dir, partition))).filter((f) => f.endsWith('.parquet')).sort();
    for (const file of parts) {
      const n = state.filesPerDate.get(date) ?? 0;
      state.filesPerDate.set(date, n + 1);
      uploads.push({ file: join(dir, partition, file), key: silverFileKey(date, ctx.runId, n) });
    }
  }
  let done = 0;
  await mapConcurrently(uploads, 8, async (u) => {
    await store.uploadFile(u.file, u.key, { contentType: 'application/vnd.apache.parquet' });
    state.silver.push(u.key);
    ctx.progress('writing silver', ++done, uploads.length);
  });
  return partitions.map((p) => p.slice('date='.length));
}

async function tallyBlobs(ctx: RunContext, staged: readonly StagedBlob[]): Promise<BlobTally[]> {
  const rows = await ctx.engine.all<{
    blob: number;
    rejected: bigint;
    silver: bigint;
    duplicates: bigint;
    erased: bigint;
  }>(`
    SELECT blob,
           count(*) FILTER (WHERE reason_code IS NOT NULL AND NOT erased) AS rejected,
           count(*) FILTER (WHERE to_silver) AS silver,
           count(*) FILTER (WHERE reason_code IS NULL AND NOT to_silver AND NOT erased) AS duplicates,
           count(*) FILTER (WHERE erased) AS erased
    FROM classified
    GROUP BY blob`);
  const byBlob = new Map(rows.map((r) => [r.blob, r]));
  return staged.map((s) => {
    const r = byBlob.get(s.index);
    const tally: BlobTally = {
      key: s.blob.key,
      etag: s.blob.etag,
      records: s.records,
      silver: Number(r?.silver ?? 0n),
      rejected: s.rejections.length + Number(r?.rejected ?? 0n),
      duplicates: Number(r?.duplicates ?? 0n),
      erased: Number(r?.erased ?? 0n),
    };
    if (tally.records !== tally.silver + tally.rejected + tally.duplicates + tally.erased) {
      throw new Error(`internal: ${s.blob.key} does not balance (${JSON.stringify(tally)})`);
    }
    return tally;
  });
}

/** `quarantine/<run>/<bronze key>.ndjson`: one line per rejected record, with its reason. */
async function writeQuarantine(
  ctx: RunContext,
  staged: readonly StagedBlob[],
): Promise<Partial<Record<RejectionCode, number>>> {
  const counts: Partial<Record<RejectionCode, number>> = {};
  const rows = await ctx.engine.all<{
    blob: number;
    line_no: bigint;
    reason_code: RejectionCode;
    reason: string;
    line: string;
  }>(
    `SELECT blob, line_no, reason_code, reason, raw AS line FROM parsed ANTI JOIN erased_lines USING (blob, line_no)
     WHERE reason_code IS NOT NULL ORDER BY blob, line_no`,
  );
  const byBlob = new Map<number, Rejection[]>();
  for (const s of staged) if (s.rejections.length > 0) byBlob.set(s.index, [...s.rejections]);
  for (const r of rows) {
    const list = byBlob.get(r.blob) ?? [];
    list.push({ line: Number(r.line_no), reason_code: r.reason_code, reason: r.reason, raw: r.line });
    byBlob.set(r.blob, list);
  }
  const store = ctx.lake.objects('quarantine');
  for (const [index, rejections] of byBlob) {
    rejections.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    for (const r of rejections) counts[r.reason_code] = (counts[r.reason_code] ?? 0) + 1;
    const blob = staged[index]!.blob;
    const body = rejections.map((r) => JSON.stringify({ bronze: blob.key, ...r })).join('\n') + '\n';
    await store.write(quarantineKey(ctx.runId, blob.key), body, { contentType: 'application/x-ndjson' });
  }
  return counts;
}

/**
 * The ledger's share of this batch: one (day, user link) row per user active that day, under
 * `private/activity/month=…/part-<run>[-i].parquet`, and the (user link, Bronze key) index that
 * lets an erasure find the blobs holding a user. Both commit with the run report, like Silver.
 */
async function writeActivity(ctx: RunContext, staged: readonly StagedBlob[], state: RunState): Promise<void> {
  const { engine } = ctx;
  const out = join(ctx.tmpDir, 'activity-out');
  await engine.run(`COPY (SELECT DISTINCT strftime(date, '%Y-%m') AS month, date AS day, user_link AS "user" FROM silver_rows)
    TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (month), WRITE_PARTITION_COLUMNS false,
      FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true)`);
  const store = ctx.lake.objects('private');
  const uploads: { file: string; key: string }[] = [];
  for (const partition of (await readdir(out).catch(() => [] as string[])).filter((d) =>
    d.startsWith('month='),
  )) {
    const month = partition.slice('month='.length);
    for (const file of (await readdir(join(out, partition))).filter((f) => f.endsWith('.parquet')).sort()) {
      const n = state.activityPerMonth.get(month) ?? 0;
      state.activityPerMonth.set(month, n + 1);
      uploads.push({ file: join(out, partition, file), key: activityFileKey(month, ctx.runId, n) });
    }
  }
  await mapConcurrently(uploads, 8, (u) =>
    store.uploadFile(u.file, u.key, { contentType: 'application/vnd.apache.parquet' }),
  );
  await rm(out, { recursive: true, force: true });

  await engine.run(`CREATE OR REPLACE TEMP TABLE blob_keys (blob INTEGER, bronze VARCHAR)`);
  if (staged.length > 0) {
    await engine.run(
      `INSERT INTO blob_keys VALUES ${staged.map((s) => `(${s.index}, ${sqlString(s.blob.key)})`).join(', ')}`,
    );
  }
  const index = join(ctx.tmpDir, 'activity-index.parquet');
  await engine.run(`COPY (SELECT DISTINCT p.user_link AS "user", k.bronze FROM parsed p JOIN blob_keys k USING (blob)
      ANTI JOIN erased_lines e USING (blob, line_no)
      WHERE p.user_link IS NOT NULL)
    TO ${sqlString(index)} (FORMAT parquet, COMPRESSION zstd)`);
  await store.uploadFile(index, blobIndexKey(ctx.runId, state.batch++), {
    contentType: 'application/vnd.apache.parquet',
  });
  await rm(index, { force: true });
}
