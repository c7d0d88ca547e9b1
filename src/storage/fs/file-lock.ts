import { link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { deadOwnerReason } from '../lease-owner.js';
import { isErrno, tempPathFor } from './temp-files.js';

/**
 * A lock held longer than this is broken even when its owner cannot be checked (another host, a
 * lock file from an older version without an owner): critical sections last milliseconds.
 */
const ABANDONED_MS = 30_000;

const LockOwner = z.object({ pid: z.number().int(), host: z.string(), at: z.string() });

/**
 * Runs `fn` while holding an exclusive lock file `<path>.lock`, so read-compare-write sequences
 * on the local lake are atomic across processes. The lock file names its owner (pid, host): a
 * lock whose owner died on this host is broken at once, any other after 30 s.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(lock), { recursive: true });
  const ino = await takeLock(lock);
  try {
    return await fn();
  } finally {
    // Only our own lock: if it was broken as abandoned meanwhile, the file is someone else's now.
    const now = await stat(lock, { bigint: true }).catch(() => undefined);
    if (now?.ino === ino) await rm(lock, { force: true });
  }
}

/** Creates the lock with its owner in it (write a temp file, then link: atomic create-if-absent). */
async function takeLock(lock: string): Promise<bigint> {
  const tmp = tempPathFor(lock);
  await writeFile(tmp, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, lock);
        return (await stat(tmp, { bigint: true })).ino;
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
      }
      await breakIfAbandoned(lock);
      await sleep(Math.min(50, 2 + attempt));
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Why the lock at `lock` is abandoned (its owner died on this host, or it is older than 30 s),
 * or undefined while it may still be held. Also used by the lake's sweep of leftovers.
 */
export async function abandonedLockReason(lock: string): Promise<string | undefined> {
  const s = await stat(lock).catch(() => undefined);
  if (!s) return undefined;
  const owner = LockOwner.safeParse(safeJson(await readFile(lock, 'utf8').catch(() => '')));
  const dead = owner.success ? deadOwnerReason(owner.data) : undefined;
  if (dead) return dead;
  const age = Date.now() - s.mtimeMs;
  return age > ABANDONED_MS ? `held for ${Math.round(age / 1000)} s` : undefined;
}

/**
 * Breaks an abandoned lock. Two waiters may both find it abandoned: each moves the file aside
 * and checks it moved the very file it judged (same inode); one that moved a fresh lock instead
 * (the other waiter's) puts it back.
 */
export async function breakIfAbandoned(lock: string): Promise<boolean> {
  const judged = await stat(lock, { bigint: true }).catch(() => undefined);
  if (!judged || (await abandonedLockReason(lock)) === undefined) return false;
  const aside = tempPathFor(lock);
  try {
    await rename(lock, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
  try {
    const moved = await stat(aside, { bigint: true });
    if (moved.ino === judged.ino) return true;
    await link(aside, lock).catch((err: unknown) => {
      if (!isErrno(err, 'EEXIST')) throw err;
    });
    return false;
  } finally {
    await rm(aside, { force: true });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
