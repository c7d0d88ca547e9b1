import { readdirSync, rmSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, type Lake } from '../storage/index.js';
import { ownerPidOfScratchDir } from './scratch.js';

/**
 * Scratch dirs of earlier versions, named without their owner: `dp-pipeline-<run>-XXXXXX`,
 * `dp-erasure-XXXXXX`, `dp-activity[-read|-rebuild]-XXXXXX`. Removed once an hour old (no live
 * run of those versions lasts that long without the run's own dir being younger).
 */
const UNOWNED_SCRATCH_DIR =
  /^dp-(?:pipeline-\d{8}T\d{6}Z-[0-9a-f]{6}|erasure|activity|activity-read|activity-rebuild)-[A-Za-z0-9]{6}$/;
const UNOWNED_AGE_MS = 60 * 60_000;

/**
 * Removes scratch dirs under `root` (default the OS temp dir) whose owner process is gone: they
 * may hold staged Bronze lines with raw ids. Dirs of live processes (this one, or a `dau` or
 * `serve` reading the lake) are kept. Returns how many were removed.
 */
export async function sweepScratchDirs(root = tmpdir()): Promise<number> {
  let removed = 0;
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith('dp-')) continue;
    const path = join(root, entry.name);
    const pid = ownerPidOfScratchDir(entry.name);
    let dead: boolean;
    if (pid !== undefined) dead = !isProcessAlive(pid);
    else if (UNOWNED_SCRATCH_DIR.test(entry.name)) {
      const s = await stat(path).catch(() => undefined);
      dead = s !== undefined && Date.now() - s.mtimeMs > UNOWNED_AGE_MS;
    } else continue;
    if (!dead) continue;
    try {
      await rm(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Another user's dir (sticky /tmp): not ours to remove.
    }
  }
  return removed;
}

/** What a writer cleaned up after dead processes before starting. */
export interface Leftovers {
  readonly scratchDirs: number;
  readonly tempFiles: number;
  readonly locks: number;
}

/**
 * Removes everything dead processes left behind: their scratch dirs on this machine and the
 * lake's temp files and locks. Run by every writer right after taking the lake lease, so no
 * other writer is alive; read-only processes' files are recognised by their live pid and kept.
 */
export async function sweepLeftovers(lake: Lake, options: { scratchRoot?: string } = {}): Promise<Leftovers> {
  const scratchDirs = await sweepScratchDirs(options.scratchRoot);
  const { tempFiles, locks } = await lake.sweepTemporaries();
  return { scratchDirs, tempFiles, locks };
}

/** Removes this process's own scratch dirs at once (on a signal, when no `finally` will run). */
export function removeOwnScratchDirsSync(root = tmpdir()): void {
  for (const name of readdirSync(root)) {
    if (ownerPidOfScratchDir(name) === process.pid)
      rmSync(join(root, name), { recursive: true, force: true });
  }
}

/**
 * On SIGINT or SIGTERM, removes this process's scratch dirs and exits (130 / 143), unless the
 * command handles the signal itself (`serve` closes its own). Interrupted lake writes are left to
 * the next writer: its recovery and sweep.
 */
export function removeScratchOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      if (process.listenerCount(signal) > 1) return;
      try {
        removeOwnScratchDirsSync();
      } finally {
        process.exit(code);
      }
    });
  }
}
