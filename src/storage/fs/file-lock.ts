import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const STALE_MS = 30_000;

/**
 * Runs `fn` while holding an exclusive lock file `<path>.lock` (O_EXCL create), so
 * read-compare-write sequences on the local lake are atomic across processes.
 * A lock older than 30 s is considered abandoned by a crashed process and broken.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(lock), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.close();
      break;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
      const s = await stat(lock).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs > STALE_MS) await rm(lock, { force: true });
      await sleep(Math.min(50, 2 + attempt));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
