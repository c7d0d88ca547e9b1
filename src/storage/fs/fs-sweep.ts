import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive } from '../lease-owner.js';
import type { SweepResult } from '../types.js';
import { breakIfAbandoned } from './file-lock.js';
import { isErrno, tempFileOwner } from './temp-files.js';

/** A temp file whose name carries no pid (older versions) is abandoned once this old. */
const UNOWNED_TEMP_MS = 10 * 60_000;

/**
 * Removes what dead processes left under the local lake `root`: temp files of interrupted writes
 * (`*.dp-tmp-<pid>-*`, and the older `*.dp-tmp-*` / `*.json.tmp-<pid>`) whose writer is gone, and
 * lock files whose owner died. A temp file of a live process is kept unless it is 10 min old.
 */
export async function sweepLakeDir(root: string): Promise<SweepResult> {
  let tempFiles = 0;
  let locks = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      const temp = tempFileOwner(entry.name);
      if (temp) {
        if (await abandonedTemp(path, temp.pid)) {
          await rm(path, { force: true });
          tempFiles++;
        }
      } else if (entry.name.endsWith('.lock') && (await breakIfAbandoned(path))) {
        locks++;
      }
    }
  };
  await walk(root);
  return { tempFiles, locks };
}

async function abandonedTemp(path: string, pid: number | undefined): Promise<boolean> {
  if (pid !== undefined && !isProcessAlive(pid)) return true;
  const s = await stat(path).catch(() => undefined);
  return s !== undefined && Date.now() - s.mtimeMs > UNOWNED_TEMP_MS;
}
