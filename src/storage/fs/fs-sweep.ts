import { rm, stat } from 'node:fs/promises';
import { isProcessAlive } from '../lease-owner.js';
import type { SweepResult } from '../types.js';
import { breakIfAbandoned } from './file-lock.js';
import { tempFileOwner } from './temp-files.js';
import { walkFiles } from './walk.js';

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
  for await (const { path, name } of walkFiles(root)) {
    const temp = tempFileOwner(name);
    if (temp) {
      if (await abandonedTemp(path, temp.pid)) {
        await rm(path, { force: true });
        tempFiles++;
      }
    } else if (name.endsWith('.lock') && (await breakIfAbandoned(path))) {
      locks++;
    }
  }
  return { tempFiles, locks };
}

async function abandonedTemp(path: string, pid: number | undefined): Promise<boolean> {
  if (pid !== undefined && !isProcessAlive(pid)) return true;
  const s = await stat(path).catch(() => undefined);
  return s !== undefined && Date.now() - s.mtimeMs > UNOWNED_TEMP_MS;
}
