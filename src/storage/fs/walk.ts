import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from './temp-files.js';

/** Every regular file under `dir` (recursively), as its full path and name; a missing `dir` is empty. */
export async function* walkFiles(
  dir: string,
): AsyncIterable<{ readonly path: string; readonly name: string }> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(path);
    else if (entry.isFile()) yield { path, name: entry.name };
  }
}
