import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/** Every file of a local lake as searchable text: Parquet decoded, gzip inflated, paths included. */
export async function lakeTexts(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const path = relative(dir, full);
    let text: string;
    if (entry.name.endsWith('.parquet')) {
      const rows = await parquetReadObjects({ file: await asyncBufferFromFile(full), compressors });
      text = JSON.stringify(rows, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    } else {
      const bytes = await readFile(full);
      text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
    }
    out.push({ path, text: `${path}\n${text}` });
  }
  return out;
}

/** The lake files (relative paths) whose path or content contains `needle`. */
export async function grepLake(dir: string, needle: string): Promise<string[]> {
  return (await lakeTexts(dir)).filter((f) => f.text.includes(needle)).map((f) => f.path);
}
