import { readdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError } from '../errors.js';
import type { Lake } from '../storage/index.js';

/** The sample Bronze data shipped in the package (`examples/ga360/bronze`). */
export function sampleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..', '..', '..', 'examples', 'ga360', 'bronze');
}

/** Copies the shipped sample into `bronze/ga360/…`, skipping files already there. Returns how many were copied. */
export async function copySample(lake: Lake): Promise<number> {
  const root = sampleDir();
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  await walk(root);
  const bronze = lake.objects('bronze');
  let copied = 0;
  for (const file of files.sort()) {
    const key = `ga360/${relative(root, file).split(sep).join('/')}`;
    if (await bronze.head(key)) continue;
    try {
      await bronze.uploadFile(file, key, { ifNoneMatch: '*' }); // a concurrent copy keeps its version
      copied++;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return copied;
}
