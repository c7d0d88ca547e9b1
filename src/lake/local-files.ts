import { join } from 'node:path';
import type { ObjectStore } from '../storage/index.js';

/**
 * Local paths DuckDB can read for `keys`: in place on the embedded lake, otherwise downloaded
 * into `dir` (the engine reads local files only; its Azure extension would be a download).
 */
export async function localCopies(
  store: ObjectStore,
  keys: readonly string[],
  dir: string,
): Promise<string[]> {
  if (store.localPath) {
    const local = store.localPath.bind(store);
    return keys.map((key) => local(key));
  }
  const paths: string[] = [];
  for (const [i, key] of keys.entries()) {
    const path = join(dir, `${i}-${key.replace(/[^A-Za-z0-9._=-]/g, '_')}`);
    await store.downloadFile(key, path);
    paths.push(path);
  }
  return paths;
}
