import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { Engine } from '../../src/engine/duckdb.js';
import { openSilverSource, type SilverSource } from '../../src/silver/silver-source.js';
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

/** Silver-like test files carrying the privacy unit in `user_link`, as the analyses read them. */
export function linkedSilver(engine: Engine, files: readonly string[]): Promise<SilverSource> {
  return openSilverSource(engine, files, { linkVersion: 'v1' });
}
