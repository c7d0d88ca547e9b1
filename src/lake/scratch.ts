import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine/duckdb.js';

/**
 * A private scratch directory under the OS temp dir and a DuckDB engine spilling into it. Staged
 * Bronze lines (raw ids!) live here, so it is deleted by `close()` and, after a crash, by the next
 * writer's sweep: the name carries the owner's pid, `dp-<purpose>-<id>-p<pid>-XXXXXX`.
 */
export interface Scratch {
  readonly dir: string;
  readonly engine: Engine;
  /** Closes the engine (unless it was lent) and deletes the directory. */
  close(): Promise<void>;
}

const SCRATCH_DIR = /^dp-([a-z-]+?)-(.+)-p(\d+)-[A-Za-z0-9]{6}$/;

/** The name prefix of a scratch dir (mkdtemp adds six characters). */
export function scratchPrefix(purpose: string, id: string, pid = process.pid): string {
  return `dp-${purpose}-${id}-p${pid}-`;
}

/** The pid that owns a scratch dir named by `scratchPrefix`, if `name` is one. */
export function ownerPidOfScratchDir(name: string): number | undefined {
  const m = SCRATCH_DIR.exec(name);
  return m ? Number(m[3]) : undefined;
}

/**
 * Opens a scratch dir and engine; `engine` lends an open engine instead (it is then not closed).
 *
 * @example
 * ```ts
 * const scratch = await openScratch('erasure', runId);
 * try { await scratch.engine.run('SELECT 1'); } finally { await scratch.close(); }
 * ```
 */
export async function openScratch(
  purpose: string,
  id: string,
  options: { readonly engine?: Engine } = {},
): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), scratchPrefix(purpose, id)));
  let engine: Engine;
  try {
    engine = options.engine ?? (await Engine.open({ tempDirectory: join(dir, 'duckdb') }));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let closed = false;
  return {
    dir,
    engine,
    close: async () => {
      if (closed) return;
      closed = true;
      if (!options.engine) engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
