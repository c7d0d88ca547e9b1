import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
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
