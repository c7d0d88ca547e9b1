import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { sqlList, type Engine } from '../../src/engine/duckdb.js';
import type { SilverSource } from '../../src/silver/silver-source.js';
import type { FsLake } from '../../src/storage/index.js';

/** Every Silver row of a local lake, decoded (dates as YYYY-MM-DD strings). */
export async function silverRows(lake: FsLake): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const store = lake.objects('silver');
  for await (const obj of store.list('sessions/')) {
    const file = await asyncBufferFromFile(store.localPath!(obj.key));
    for (const r of await parquetReadObjects({ file, compressors })) {
      const date = r.date instanceof Date ? r.date.toISOString().slice(0, 10) : r.date;
      rows.push({ ...r, date });
    }
  }
  return rows;
}

/**
 * Silver-like test files of a lake that never rotated its key (one version, so the pseudonym is
 * the person): the analyses' view of them, without `openSilverSource`'s checks.
 */
export async function unrotatedSilver(engine: Engine, files: readonly string[]): Promise<SilverSource> {
  const [meta] = await engine.all<{ n: bigint }>(
    `SELECT sum(num_rows) AS n FROM parquet_file_metadata(${sqlList(files)})`,
  );
  return {
    files,
    rows: Number(meta!.n),
    relation: `read_parquet(${sqlList(files)}, hive_partitioning = false)`,
    unit: 'user_pseudonym',
  };
}
