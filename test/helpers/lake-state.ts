import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { z } from 'zod';
import { decodeMonth } from '../../src/ledger/month-entity.js';
import { tableEntitySchema } from '../../src/storage/index.js';

/** A fixed pseudonymization key, so lakes built separately hold the very same Silver rows. */
export const FIXED_KEY_ENV = { DP_PSEUDONYM_KEY: 'ab'.repeat(32) };

/** Copies days (`'01'`…`'31'`) of the shipped GA360 sample into `<lake>/bronze/ga360/2016/08/<day>/`. */
export async function copySampleDays(lakeDir: string, days: readonly string[]): Promise<void> {
  for (const day of days) {
    await cp(`examples/ga360/bronze/2016/08/${day}`, join(lakeDir, 'bronze', 'ga360', '2016', '08', day), {
      recursive: true,
    });
  }
}

/** What must be equal between a lake that went through faults and one built by a clean run. */
export interface LakeOutcome {
  /** Every Silver row (all columns but the writing run's id, dates as YYYY-MM-DD), sorted. */
  readonly silver: readonly string[];
  /** Every activity-ledger row `(day, user)`, sorted. */
  readonly activity: readonly string[];
  /** Published releases `analysis/window`, sorted; rows of the `releases` table, sorted. */
  readonly releases: readonly string[];
  readonly releaseRows: readonly string[];
  /** Budget charged per month and release id: `month release-id cost`, sorted. */
  readonly charges: readonly string[];
  /** Bronze blobs checkpointed as processed. */
  readonly checkpoints: number;
}

/** What a finished lake must not hold: temp files, locks, a held lease; and scratch dirs left in `tmpDir`. */
export interface Leftovers {
  readonly lakeFiles: readonly string[];
  readonly scratchDirs: readonly string[];
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/** A row as text, without `ingest_run` (the id of the run that wrote it, different in every lake). */
function rowText(row: Record<string, unknown>): string {
  const sorted = Object.fromEntries(
    Object.entries(row)
      .filter(([k]) => k !== 'ingest_run')
      .map(([k, v]) => [k, v instanceof Date ? v.toISOString().slice(0, 10) : v] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return JSON.stringify(sorted, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

async function parquetRows(dir: string, prefix: string): Promise<string[]> {
  const rows: string[] = [];
  for (const rel of await files(join(dir, prefix))) {
    if (!rel.endsWith('.parquet')) continue;
    const file = await asyncBufferFromFile(join(dir, prefix, rel));
    for (const r of await parquetReadObjects({ file, compressors })) rows.push(rowText(r));
  }
  return rows.sort();
}

const Entity = z.record(z.string(), z.unknown());
/** A budget table entity as stored: the ledger's own decoder reads its charges. */
const BudgetEntity = tableEntitySchema;

async function entities(dir: string, table: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const rel of await files(join(dir, 'tables', table))) {
    if (rel.endsWith('.json'))
      out.push(Entity.parse(JSON.parse(await readFile(join(dir, 'tables', table, rel), 'utf8'))));
  }
  return out;
}

/** The outcome of a local lake: Silver, the ledger, Gold releases, the budget, checkpoints. */
export async function lakeOutcome(dir: string): Promise<LakeOutcome> {
  const releases = (await files(join(dir, 'gold', 'releases'))).filter((f) => f.endsWith('.json')).sort();
  const releaseRows = (await entities(dir, 'releases'))
    .map((e) => `${String(e.partitionKey)}/${String(e.rowKey)} ${String(e.path)}`)
    .sort();
  const charges = (await entities(dir, 'budget')).flatMap((e) =>
    Object.entries(decodeMonth(BudgetEntity.parse(e))).map(
      ([id, cost]) => `${String(e.partitionKey)} ${String(e.rowKey)} ${id} ${JSON.stringify(cost)}`,
    ),
  );
  const checkpoints = (await entities(dir, 'checkpoints')).filter(
    (e) => e.partitionKey === 'bronze' && e.status === 'processed',
  ).length;
  return {
    silver: await parquetRows(dir, 'silver'),
    activity: await parquetRows(join(dir, 'private'), 'activity'),
    releases,
    releaseRows,
    charges: charges.sort(),
    checkpoints,
  };
}

/** Temp files, locks and held leases in the lake; scratch dirs (`dp-*`) in `tmpDir`. */
export async function leftovers(dir: string, tmpDir: string): Promise<Leftovers> {
  const lakeFiles = (await files(dir)).filter((f) => /\.dp-tmp-|\.tmp-\d+$|\.lock$/.test(f));
  for (const rel of await files(join(dir, 'leases'))) {
    const lease = z
      .object({ released_at: z.string().nullable() })
      .parse(JSON.parse(await readFile(join(dir, 'leases', rel), 'utf8')));
    if (lease.released_at === null) lakeFiles.push(`leases/${rel} (held)`);
  }
  const scratchDirs = (await readdir(tmpDir).catch(() => [])).filter((n) => n.startsWith('dp-'));
  return { lakeFiles, scratchDirs };
}
