import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../../engine/duckdb.js';
import { GOLD_RELEASES_TABLE_KEY, goldTableKeys, openScratch } from '../../lake/index.js';
import type { ObjectStore } from '../../storage/index.js';
import { tableCsv } from './csv.js';
import { writeTableParquet } from './parquet.js';
import { tableRows, type WindowedRelease } from './rows.js';
import type { TableRow } from './schema.js';

const PARQUET_TYPE = 'application/vnd.apache.parquet';

/** What {@link writeGoldTables} wrote. */
export interface GoldTablesWritten {
  /** Gold keys written, in order. */
  readonly keys: readonly string[];
  readonly rows: number;
}

/**
 * Rebuilds tabular Gold from the releases given (the release records): per analysis
 * `tables/<analysis>.csv` and `.parquet`, and `tables/releases.parquet` with every analysis
 * (written even when there is no release, so readers can point at it from the start). Every file
 * is derived from the records, so rewriting them is always safe. Parquet is written by DuckDB to
 * a private scratch directory and uploaded through `gold`, as DuckDB writes local files only;
 * `engine` lends an open engine (else one is opened and closed here).
 *
 * @example
 * ```ts
 * const records = [];
 * for await (const r of releaseRecords.all()) records.push({ release: r.release, windowId: r.windowId });
 * await writeGoldTables(lake.objects('gold'), records);
 * ```
 */
export async function writeGoldTables(
  gold: ObjectStore,
  records: readonly WindowedRelease[],
  engine?: Engine,
): Promise<GoldTablesWritten> {
  const rows = tableRows(records);
  const byAnalysis = new Map<string, TableRow[]>();
  for (const row of rows) {
    const list = byAnalysis.get(row.analysis) ?? [];
    if (list.length === 0) byAnalysis.set(row.analysis, list);
    list.push(row);
  }
  // Analyses without a single row (e.g. no partition selected in any window) still get their files.
  for (const { release } of records)
    if (!byAnalysis.has(release.analysis)) byAnalysis.set(release.analysis, []);

  const keys: string[] = [];
  const scratch = await openScratch('gold-tables', randomBytes(4).toString('hex'), engine ? { engine } : {});
  try {
    const parquet = async (key: string, part: readonly TableRow[], file: string): Promise<void> => {
      const path = join(scratch.dir, file);
      await writeTableParquet(scratch.engine, part, path);
      await gold.write(key, await readFile(path), { contentType: PARQUET_TYPE });
      keys.push(key);
    };
    for (const [analysis, part] of [...byAnalysis].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const table = goldTableKeys(analysis);
      await gold.write(table.csv, tableCsv(part), { contentType: 'text/csv; charset=utf-8' });
      keys.push(table.csv);
      await parquet(table.parquet, part, `${analysis}.parquet`);
    }
    await parquet(GOLD_RELEASES_TABLE_KEY, rows, 'all-releases.parquet');
  } finally {
    await scratch.close();
  }
  return { keys, rows: rows.length };
}
