import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { holdsSessions } from '../bronze/formats.js';
import type { Rejection, RejectionCode } from '../bronze/rejection.js';
import { stagedLineLimit } from '../bronze/frame.js';
import { STAGE_SEPARATOR, stageBlobs, type StagedBlob } from '../bronze/stage.js';
import { sqlIdent, sqlList, sqlString } from '../engine/duckdb.js';
import { withTempRelations, type Relation, type TempRelations } from '../engine/relation.js';
import {
  activityFileKey,
  blobIndexKey,
  CommittedView,
  dateOfSilverKey,
  describeFile,
  describeFiles,
  localCopies,
  recordFile,
  quarantineKey,
  silverFileKey,
  unprocessedBlobs,
  type FileFacts,
} from '../lake/index.js';
import { erasedLinks } from '../erasure/requests.js';
import { loadKeyRing, type KeyRing } from '../silver/key-ring.js';
import {
  PARSED_COLUMNS,
  SILVER_SELECT,
  STAGED_COLUMNS,
  keyRingParams,
  keySchedule,
  parseSelect,
} from '../silver/transform-sql.js';
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
    if (holdsSessions(blob.key)) todo.push(blob);
    else ignored.push(blob);
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
    await ctx.engine.releaseMemory();
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

/** The staged lines as DuckDB reads them from the staging files. */
const STAGED_TYPES: Readonly<Record<(typeof STAGED_COLUMNS)[number], string>> = {
  blob: 'INTEGER',
  line_no: 'BIGINT',
  line: 'VARCHAR',
};

/** A struct literal of column types, e.g. `{'blob': 'INTEGER'}`, as `read_csv(columns = …)` takes. */
function sqlStruct(types: Readonly<Record<string, string>>): string {
  return `{${Object.entries(types)
    .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
    .join(', ')}}`;
}

/** A line's position: the batch-local blob index and its 1-based line (or item) number. */
const POSITION = ['blob', 'line_no'] as const;
type Parsed = Relation<(typeof PARSED_COLUMNS)[number]>;
type Positions = Relation<(typeof POSITION)[number]>;

/**
 * One batch: frame its blobs into a private scratch directory, then run the SQL stages over
 * relations created for this batch only, and remove both whether the batch succeeds or fails.
 */
async function ingestBatch(
  ctx: RunContext,
  blobs: readonly ObjectInfo[],
  state: RunState,
): Promise<Omit<IngestResult, 'ignored'>> {
  const scratch = join(ctx.tmpDir, 'batch');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(join(scratch, 'stage'), { recursive: true });
  try {
    const staged = await timed(ctx, 'frame', () =>
      stageBlobs(ctx.lake.objects('bronze'), blobs, join(scratch, 'stage'), {
        maxLineBytes: ctx.config.max_line_bytes,
        maxBlobBytes: ctx.config.max_blob_bytes,
        onBlob: (done, total) => ctx.progress('reading bronze', done, total),
      }),
    );
    ctx.log.info(
      { run: ctx.runId, blobs: blobs.length, staged_files: staged.filter((s) => s.file).length },
      'bronze framed',
    );
    return await withTempRelations(ctx.engine, (rel) => transformBatch(ctx, staged, state, rel, scratch));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `SELECT` of no rows with the given typed columns: the shape of a stage that has no input. */
function noRows(columns: Readonly<Record<string, string>>): string {
  return `SELECT ${Object.entries(columns)
    .map(([name, type]) => `NULL::${type} AS ${sqlIdent(name)}`)
    .join(', ')} WHERE false`;
}

/**
 * Parse, validate, type, pseudonymize and deduplicate the staged lines (DuckDB), then write
 * Silver Parquet, the activity ledger's share and the quarantine files, and tally every blob.
 */
async function transformBatch(
  ctx: RunContext,
  staged: readonly StagedBlob[],
  state: RunState,
  rel: TempRelations,
  scratch: string,
): Promise<Omit<IngestResult, 'ignored'>> {
  const { engine, config, runId } = ctx;
  const files = staged.flatMap((s) => (s.file ? [s.file] : []));
  ctx.progress('parsing', 0, 1);
  const lines = await rel.view(
    'staged_lines',
    STAGED_COLUMNS,
    files.length > 0
      ? `SELECT * FROM read_csv(${sqlList(files)}, columns = ${sqlStruct(STAGED_TYPES)},
        delim = '${STAGE_SEPARATOR}', quote = '', escape = '', header = false, auto_detect = false, new_line = '\\n',
        max_line_size = ${stagedLineLimit(config.max_line_bytes) + 64})`
      : noRows(STAGED_TYPES),
  );
  const parsed = await timed(ctx, 'parse', () =>
    rel.table(
      'parsed',
      PARSED_COLUMNS,
      parseSelect(lines, keySchedule(state.ring)),
      keyRingParams(state.ring),
    ),
  );
  await assertStagedCounts(ctx, parsed, staged);

  // Lines of erased users are dropped on arrival (and their Bronze blob is rewritten by the caller).
  const erased = await rel.table(
    'erased_lines',
    POSITION,
    `SELECT blob, line_no FROM ${parsed.ref}
    WHERE user_link IN (SELECT unnest(${sqlList(state.erased)}::VARCHAR[]))`,
  );

  // Inside this batch the earliest date wins (then blob order, then line order): only keys seen
  // more than once need a winner. Across runs the copy already in Silver wins: Silver is append-only.
  // A key seen once has a hash seen once (unless hashes collide), so grouping the 64-bit hashes
  // first leaves the exact grouping on strings only the few candidate rows: same result, ~3× faster.
  const repeated = await timed(ctx, 'dedupe', () =>
    rel.table(
      'repeated',
      ['user_link', 'session_id', 'winner'],
      `WITH candidates AS (
      SELECT hash(user_link, session_id) AS h FROM ${parsed.ref} WHERE reason_code IS NULL GROUP BY h HAVING count(*) > 1
    )
    SELECT user_link, session_id, min({'d': date, 'b': blob, 'l': line_no}) AS winner
    FROM ${parsed.ref} ANTI JOIN ${erased.ref} USING (blob, line_no)
    WHERE reason_code IS NULL AND hash(user_link, session_id) IN (SELECT h FROM candidates)
    GROUP BY ALL HAVING count(*) > 1`,
    ),
  );
  // Copies of one session key are at most a day apart (GA360 splits sessions at midnight), so
  // only Silver partitions from the day before to the day after this batch's dates can hold them.
  const [range] = await engine.all<{ lo: string | null; hi: string | null }>(
    `SELECT strftime(min(date) - 1, '%Y-%m-%d') AS lo, strftime(max(date) + 1, '%Y-%m-%d') AS hi FROM ${parsed.ref}`,
  );
  const inRange = (key: string): boolean => {
    const d = dateOfSilverKey(key);
    return d !== undefined && range?.lo != null && range.hi != null && d >= range.lo && d <= range.hi;
  };
  const inSilver = state.silver.filter(inRange);
  const existingColumns = ['user_pseudonym', 'session_id'] as const;
  const existing =
    inSilver.length > 0
      ? await rel.table(
          'existing',
          existingColumns,
          `SELECT DISTINCT s.user_pseudonym, s.session_id
      FROM read_parquet(${sqlList(await localCopies(ctx.lake.objects('silver'), inSilver, join(scratch, 'silver-in')))}, hive_partitioning = false) s
      SEMI JOIN (SELECT user_pseudonym, session_id FROM ${parsed.ref} WHERE reason_code IS NULL) p USING (user_pseudonym, session_id)`,
        )
      : await rel.table(
          'existing',
          existingColumns,
          noRows({ user_pseudonym: 'VARCHAR', session_id: 'VARCHAR' }),
        );
  // The few rows that lose (a later copy in this batch, or a key already in Silver), by position.
  const losers = await timed(ctx, 'dedupe', () =>
    rel.table(
      'losers',
      POSITION,
      `SELECT p.blob, p.line_no FROM ${parsed.ref} p JOIN ${repeated.ref} r USING (user_link, session_id)
      WHERE NOT (r.winner.b = p.blob AND r.winner.l = p.line_no)
      UNION
      SELECT p.blob, p.line_no FROM ${parsed.ref} p JOIN ${existing.ref} e USING (user_pseudonym, session_id)`,
    ),
  );
  const classified = await rel.view(
    'classified',
    [...PARSED_COLUMNS, 'erased', 'to_silver'],
    `SELECT p.*, (e.blob IS NOT NULL) AS erased,
      (p.reason_code IS NULL AND l.blob IS NULL AND e.blob IS NULL) AS to_silver
    FROM ${parsed.ref} p LEFT JOIN ${losers.ref} l USING (blob, line_no) LEFT JOIN ${erased.ref} e USING (blob, line_no)`,
  );
  const silverRows = await rel.view(
    'silver_rows',
    PARSED_COLUMNS,
    `SELECT p.* FROM ${parsed.ref} p ANTI JOIN ${losers.ref} l USING (blob, line_no) ANTI JOIN ${erased.ref} e USING (blob, line_no)
    WHERE p.reason_code IS NULL`,
  );

  const silverOut = join(scratch, 'silver-out');
  ctx.progress('writing silver', 0, 1);
  await timed(ctx, 'write_silver', () =>
    engine.run(`COPY (
      SELECT ${SILVER_SELECT}, ${sqlString(runId)} AS ingest_run
      FROM ${silverRows.ref})
    TO ${sqlString(silverOut)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (date), WRITE_PARTITION_COLUMNS true,
      FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true)`),
  );
  const silverDates = await timed(ctx, 'upload_silver', () => uploadSilver(ctx, silverOut, state));
  await rm(silverOut, { recursive: true, force: true });
  await timed(ctx, 'activity', () =>
    writeActivity(ctx, { staged, parsed, erased, silverRows, rel, scratch }, state),
  );

  const tallies = await timed(ctx, 'tally', () => tallyBlobs(ctx, classified, staged));
  const rejectedByReason = await timed(ctx, 'quarantine', () => writeQuarantine(ctx, parsed, erased, staged));
  const byMonth = await engine.all<{ month: string; n: bigint }>(
    `SELECT strftime(date, '%Y-%m') AS month, count(*) AS n FROM ${silverRows.ref} GROUP BY 1`,
  );
  return {
    blobs: tallies,
    rejectedByReason,
    silverDates,
    silverByMonth: Object.fromEntries(byMonth.map((r) => [r.month, Number(r.n)])),
  };
}

/** Every framed line must reach DuckDB: a mismatch means a reader dropped or split lines. */
async function assertStagedCounts(
  ctx: RunContext,
  parsed: Parsed,
  staged: readonly StagedBlob[],
): Promise<void> {
  const rows = await ctx.engine.all<{ blob: number; n: bigint }>(
    `SELECT blob, count(*) AS n FROM ${parsed.ref} GROUP BY blob`,
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
  const facts = await describeAll(ctx, uploads);
  await mapConcurrently(uploads, 8, async (u, i) => {
    await store.uploadFile(u.file, u.key, { contentType: 'application/vnd.apache.parquet' });
    await recordFile(ctx.lake, 'silver', u.key, ctx.runId, facts[i]!);
    state.silver.push(u.key);
    ctx.progress('writing silver', ++done, uploads.length);
  });
  return partitions.map((p) => p.slice('date='.length));
}

async function tallyBlobs(
  ctx: RunContext,
  classified: Relation<(typeof PARSED_COLUMNS)[number] | 'erased' | 'to_silver'>,
  staged: readonly StagedBlob[],
): Promise<BlobTally[]> {
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
    FROM ${classified.ref}
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
  parsed: Parsed,
  erased: Positions,
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
    `SELECT blob, line_no, reason_code, reason, raw AS line FROM ${parsed.ref} ANTI JOIN ${erased.ref} USING (blob, line_no)
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
async function writeActivity(
  ctx: RunContext,
  batch: {
    readonly staged: readonly StagedBlob[];
    readonly parsed: Parsed;
    readonly erased: Positions;
    readonly silverRows: Parsed;
    readonly rel: TempRelations;
    readonly scratch: string;
  },
  state: RunState,
): Promise<void> {
  const { engine } = ctx;
  const { staged, parsed, erased, silverRows, rel, scratch } = batch;
  const out = join(scratch, 'activity-out');
  await engine.run(`COPY (SELECT DISTINCT strftime(date, '%Y-%m') AS month, date AS day, user_link AS "user" FROM ${silverRows.ref})
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
  const facts = await describeAll(ctx, uploads);
  await mapConcurrently(uploads, 8, async (u, i) => {
    await store.uploadFile(u.file, u.key, { contentType: 'application/vnd.apache.parquet' });
    await recordFile(ctx.lake, 'private', u.key, ctx.runId, facts[i]!);
  });
  await rm(out, { recursive: true, force: true });

  // A batch always has at least one blob, so the VALUES list is never empty.
  const blobKeys = await rel.table(
    'blob_keys',
    ['blob', 'bronze'],
    `SELECT * FROM (VALUES ${staged.map((s) => `(${s.index}, ${sqlString(s.blob.key)})`).join(', ')}) AS k(blob, bronze)`,
  );
  const index = join(scratch, 'activity-index.parquet');
  await engine.run(`COPY (SELECT DISTINCT p.user_link AS "user", k.bronze FROM ${parsed.ref} p JOIN ${blobKeys.ref} k USING (blob)
      ANTI JOIN ${erased.ref} e USING (blob, line_no)
      WHERE p.user_link IS NOT NULL)
    TO ${sqlString(index)} (FORMAT parquet, COMPRESSION zstd)`);
  const indexKey = blobIndexKey(ctx.runId, state.batch++);
  const indexFacts = await describeFile(engine, index);
  await store.uploadFile(index, indexKey, { contentType: 'application/vnd.apache.parquet' });
  await recordFile(ctx.lake, 'private', indexKey, ctx.runId, indexFacts);
  await rm(index, { force: true });
}

/** Rows, bytes and SHA-256 of each local file before it is uploaded, for the manifest. */
async function describeAll(
  ctx: RunContext,
  uploads: readonly { readonly file: string }[],
): Promise<FileFacts[]> {
  return describeFiles(
    ctx.engine,
    uploads.map((u) => u.file),
  );
}
