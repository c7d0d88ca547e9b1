import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { mapConcurrently } from '../concurrency.js';
import { sqlList, sqlString, type Engine } from '../engine/duckdb.js';
import { DamagedStateError } from '../errors.js';
import { decodeStored, entitySchema, storedEntity, type Lake } from '../storage/index.js';
import type { CommittedView } from './commit.js';
import { RUN_DATASETS, runIdOfDataFile, type RunDataset } from './layout.js';
import { localCopies } from './local-files.js';
import type { RunId } from './run-id.js';

/**
 * The manifest of committed data files: one row per Silver, activity-ledger and blob-index file in
 * the `checkpoints` table, partition `files`, row key `<container>/<key>`, with the file's run,
 * rows, bytes and SHA-256. Ingest writes a row right after each upload (the run's report commits
 * the rows with the files); an erasure rewrite writes `pending_*` before uploading and the final
 * row after; readers verify the files they read against it before anything is spent, so a
 * deleted, truncated or altered file is refused instead of silently shrinking a release.
 */
export const MANIFEST_PARTITION = 'files';
/** Partition of the marker saying the lake's pre-manifest files were adopted (row key `adopted`). */
const ADOPTION_PARTITION = 'manifest';
const ADOPTION_ROW = 'adopted';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().nonnegative();

const manifestSchema = entitySchema({
  partitionKey: z.literal(MANIFEST_PARTITION),
  run_id: z.string().min(1),
  rows: count,
  bytes: count,
  sha256: sha256Hex,
  /** Set while an erasure rewrite is being uploaded: the new version's facts. */
  pending_sha256: sha256Hex.optional(),
  pending_rows: count.optional(),
  pending_bytes: count.optional(),
  /** Set while the file is being deleted (an erasure emptied it): its absence is then expected. */
  deleting: z.boolean().optional(),
});

export type ManifestEntity = z.output<typeof manifestSchema>;

const adoptionSchema = entitySchema({
  partitionKey: z.literal(ADOPTION_PARTITION),
  adopted_at: z.iso.datetime(),
  files: count,
});

/** The containers whose files the manifest lists. */
export type ManifestContainer = (typeof RUN_DATASETS)[RunDataset]['container'];

/** What the manifest holds about one version of a file. */
export interface FileFacts {
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
}

export function manifestRowKey(container: ManifestContainer, key: string): string {
  return `${container}/${key}`;
}

/** Rows (from the Parquet footer), bytes and SHA-256 of the local Parquet file `path`. */
export async function describeFile(engine: Engine, path: string): Promise<FileFacts> {
  const [meta] = await engine.all<{ n: bigint | null }>(
    `SELECT num_rows AS n FROM parquet_file_metadata(${sqlString(path)})`,
  );
  return { rows: Number(meta?.n ?? 0n), ...(await hashFile(path)) };
}

/**
 * {@link describeFile} of many local Parquet files at once: one metadata query for every row
 * count, and the files hashed a few at a time (a run writes hundreds of small files).
 */
export async function describeFiles(engine: Engine, paths: readonly string[]): Promise<FileFacts[]> {
  if (paths.length === 0) return [];
  const rows = await engine.all<{ file: string; n: bigint | null }>(
    `SELECT file_name AS file, num_rows AS n FROM parquet_file_metadata(${sqlList(paths)})`,
  );
  const counts = new Map(rows.map((r) => [r.file, Number(r.n ?? 0n)]));
  const hashes = await mapConcurrently(paths, 8, (path) => hashFile(path));
  return paths.map((path, i) => {
    const n = counts.get(path);
    if (n === undefined) throw new Error(`internal: no Parquet metadata for ${path}`);
    return { rows: n, ...hashes[i]! };
  });
}

/** Bytes and SHA-256 of the local file `path`, streamed. */
export async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    hash.update(buf);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The manifest row of `container/key`, if any. Raises `DamagedStateError` when it does not decode. */
export async function readManifestRow(
  lake: Lake,
  container: ManifestContainer,
  key: string,
): Promise<ManifestEntity | undefined> {
  const table = lake.tables('checkpoints');
  const rowKey = manifestRowKey(container, key);
  const stored = await table.get(MANIFEST_PARTITION, rowKey);
  if (!stored) return undefined;
  return decodeStored(manifestSchema, stored.entity, storedEntity(table, MANIFEST_PARTITION, rowKey));
}

/** Every manifest row, committed or not. Raises `DamagedStateError` on a row that does not decode. */
export async function* listManifest(lake: Lake): AsyncIterable<ManifestEntity> {
  const table = lake.tables('checkpoints');
  for await (const { entity } of table.list(MANIFEST_PARTITION)) {
    yield decodeStored(manifestSchema, entity, storedEntity(table, MANIFEST_PARTITION, entity.rowKey));
  }
}

/** Records the final facts of `container/key`, written by run `runId` (clears any pending rewrite). */
export async function recordFile(
  lake: Lake,
  container: ManifestContainer,
  key: string,
  runId: RunId | string,
  facts: FileFacts,
): Promise<void> {
  await writeRow(lake, container, key, runId, facts, {});
}

/**
 * Before a rewrite of `container/key` is uploaded: keeps the current facts (`current`, the row's
 * or those of the file as it is) and adds the new version's as `pending_*`, so a crash between
 * upload and final row leaves a row that either version matches.
 */
export async function recordPendingRewrite(
  lake: Lake,
  container: ManifestContainer,
  key: string,
  runId: string,
  current: FileFacts,
  next: FileFacts,
): Promise<void> {
  await writeRow(lake, container, key, runId, current, {
    pending_sha256: next.sha256,
    pending_rows: next.rows,
    pending_bytes: next.bytes,
  });
}

/** Before deleting `container/key`: marks its row so that the file's absence is expected. */
export async function recordDeleting(
  lake: Lake,
  container: ManifestContainer,
  key: string,
  runId: string,
  current: FileFacts,
): Promise<void> {
  await writeRow(lake, container, key, runId, current, { deleting: true });
}

/** The one writer of manifest rows: a file's facts, plus a pending rewrite or a pending delete. */
async function writeRow(
  lake: Lake,
  container: ManifestContainer,
  key: string,
  runId: RunId | string,
  facts: FileFacts,
  state: Pick<ManifestEntity, 'pending_sha256' | 'pending_rows' | 'pending_bytes' | 'deleting'>,
): Promise<void> {
  await lake.tables('checkpoints').upsert({
    partitionKey: MANIFEST_PARTITION,
    rowKey: manifestRowKey(container, key),
    run_id: runId,
    rows: facts.rows,
    bytes: facts.bytes,
    sha256: facts.sha256,
    ...state,
  } satisfies ManifestEntity);
}

/** Forgets the row of `container/key` (after the file was deleted). */
export async function forgetFile(lake: Lake, container: ManifestContainer, key: string): Promise<boolean> {
  return lake.tables('checkpoints').delete(MANIFEST_PARTITION, manifestRowKey(container, key));
}

/** Splits a manifest row key into container and object key, if it is one. */
function parseRowKey(rowKey: string): { container: ManifestContainer; key: string } | undefined {
  const slash = rowKey.indexOf('/');
  const container = rowKey.slice(0, slash);
  if (slash < 0 || (container !== 'silver' && container !== 'private')) return undefined;
  return { container, key: rowKey.slice(slash + 1) };
}

/** Deletes the rows of runs outside `view` other than `except` (recovery, with their files). */
export async function dropUncommittedRows(lake: Lake, view: CommittedView, except?: RunId): Promise<number> {
  const dead: string[] = [];
  for await (const row of listManifest(lake)) {
    if (row.run_id !== except && !view.has(row.run_id as RunId)) dead.push(row.rowKey);
  }
  const table = lake.tables('checkpoints');
  for (const rowKey of dead) await table.delete(MANIFEST_PARTITION, rowKey);
  return dead.length;
}

/** Whether the lake's pre-manifest files were adopted (then every committed file must have a row). */
export async function manifestAdopted(lake: Lake): Promise<boolean> {
  const table = lake.tables('checkpoints');
  const stored = await table.get(ADOPTION_PARTITION, ADOPTION_ROW);
  if (!stored) return false;
  decodeStored(adoptionSchema, stored.entity, storedEntity(table, ADOPTION_PARTITION, ADOPTION_ROW));
  return true;
}

/**
 * Lakes from before manifests: writes a row for every committed data file that has none, as the
 * file is now (it cannot be checked against what its run wrote), then marks the lake adopted,
 * once. Afterwards a committed file without a row is damaged state. Returns the files adopted.
 */
export async function adoptUnlistedFiles(
  lake: Lake,
  view: CommittedView,
  engine: Engine,
  tmpDir: string,
  now: Date,
): Promise<number | undefined> {
  if (await manifestAdopted(lake)) return undefined;
  const listed = new Set<string>();
  for await (const row of listManifest(lake)) listed.add(row.rowKey);
  let adopted = 0;
  const dir = await mkdtemp(join(tmpDir, 'adopt-'));
  try {
    for (const dataset of Object.keys(RUN_DATASETS) as RunDataset[]) {
      const { container } = RUN_DATASETS[dataset];
      const store = lake.objects(container);
      for (const key of await view.files(dataset, (k) => !listed.has(manifestRowKey(container, k)))) {
        const [path] = await localCopies(store, [key], dir);
        const facts = await describeFile(engine, path!);
        await recordFile(lake, container, key, runIdOfDataFile(key)!, facts);
        if (!store.localPath) await rm(path!, { force: true });
        adopted++;
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await lake.tables('checkpoints').upsert({
    partitionKey: ADOPTION_PARTITION,
    rowKey: ADOPTION_ROW,
    adopted_at: now.toISOString(),
    files: adopted,
  } satisfies z.output<typeof adoptionSchema>);
  return adopted;
}

/** What a reader verifies: the committed files of one dataset it selected, and their local copies. */
export interface VerifyRequest {
  readonly dataset: RunDataset;
  /** The selection the reader made (e.g. the pending months): rows outside it are not checked. */
  readonly keep: (key: string) => boolean;
  /** The committed files it found (`view.files(dataset, keep)`) and their local paths. */
  readonly keys: readonly string[];
  readonly paths: readonly string[];
}

/**
 * Checks the files a reader is about to use against the manifest, before anything is spent: every
 * committed row in the selection must have its file (a missing one is refused), and every file
 * must match its row's size and SHA-256 (or the pending rewrite's: an interrupted erasure flush
 * leaves the request pending, and the next flush checks the file again). Files without a row are
 * accepted only in a lake not yet adopted (see `adoptUnlistedFiles`). Raises `DamagedStateError`
 * naming the first damaged file.
 */
export async function verifyFiles(lake: Lake, view: CommittedView, request: VerifyRequest): Promise<void> {
  const { container } = RUN_DATASETS[request.dataset];
  const rows = new Map<string, ManifestEntity>();
  for await (const row of listManifest(lake)) {
    const parsed = parseRowKey(row.rowKey);
    if (!parsed || parsed.container !== container || !view.has(row.run_id as RunId)) continue;
    const run = runIdOfDataFile(parsed.key);
    if (run === undefined || !parsed.key.startsWith(RUN_DATASETS[request.dataset].prefix)) continue;
    if (request.keep(parsed.key)) rows.set(parsed.key, row);
  }
  const present = new Set(request.keys);
  for (const [key, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
    if (!present.has(key) && row.deleting !== true) throw damaged(container, key, row.run_id, 'missing');
  }
  const adopted = await manifestAdopted(lake);
  for (const [i, key] of request.keys.entries()) {
    const row = rows.get(key);
    const run = runIdOfDataFile(key) ?? 'unknown';
    if (!row) {
      if (adopted) throw damaged(container, key, run, 'no manifest row');
      continue;
    }
    const path = request.paths[i]!;
    const { size } = await stat(path);
    const sizes = [row.bytes, row.pending_bytes];
    if (!sizes.includes(size)) {
      throw damaged(container, key, row.run_id, `${size} bytes, the manifest says ${row.bytes}`);
    }
    const { sha256 } = await hashFile(path);
    const final = size === row.bytes && sha256 === row.sha256;
    const pending = size === row.pending_bytes && sha256 === row.pending_sha256;
    if (!final && !pending)
      throw damaged(container, key, row.run_id, 'its SHA-256 differs from the manifest');
  }
}

function damaged(container: ManifestContainer, key: string, run: string, problem: string): DamagedStateError {
  return new DamagedStateError(
    `${container} file ${key} (committed by run ${run})`,
    problem,
    `restore it from a backup, or reprocess its Bronze blobs: delete the file (if present) and its manifest row (checkpoints entity (${MANIFEST_PARTITION}, ${manifestRowKey(container, key)})), then upload again the Bronze blobs listed in the run report runs/${run}.json (a new ETag makes the next run read them again; their sessions still in Silver count as duplicates)`,
  );
}
