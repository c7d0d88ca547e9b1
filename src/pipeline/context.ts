import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/index.js';
import { Engine } from '../engine/duckdb.js';
import { silentLogger, type Logger } from '../log.js';
import type { Lake } from '../storage/index.js';
import { scratchDirPrefix } from '../lake/leftovers.js';
import { newRunId } from './run-id.js';

/** Everything one run needs, passed explicitly. */
export interface RunContext {
  readonly lake: Lake;
  readonly config: PipelineConfig;
  readonly runId: string;
  /** Private scratch directory of this run (deleted at the end). */
  readonly tmpDir: string;
  readonly engine: Engine;
  readonly log: Logger;
  /** Progress for people watching a terminal; a no-op otherwise. */
  readonly progress: (phase: string, done: number, total: number) => void;
  readonly now: Date;
  /** Milliseconds per named step, reported in the run report. */
  readonly timings: Record<string, number>;
}

/** Runs `fn`, adding its duration to `ctx.timings[name]`. */
export async function timed<T>(ctx: RunContext, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    ctx.timings[name] = (ctx.timings[name] ?? 0) + Math.round(performance.now() - t0);
  }
}

/**
 * A fresh run context: a new run id, a private scratch directory (`dp-<purpose>-<run>-p<pid>-…` under
 * the OS temp dir) and a DuckDB engine in it. `close()` closes the engine and deletes the
 * directory; call it in a `finally`.
 *
 * @example
 * ```ts
 * const { ctx, close } = await openRunContext({ lake, config, purpose: 'pipeline' });
 * try { await ingest(ctx, blobs); } finally { await close(); }
 * ```
 */
export async function openRunContext(options: {
  readonly lake: Lake;
  readonly config: PipelineConfig;
  readonly purpose: string;
  readonly now?: Date;
  readonly log?: Logger;
  readonly progress?: RunContext['progress'];
}): Promise<{ ctx: RunContext; close: () => Promise<void> }> {
  const now = options.now ?? new Date();
  const runId = newRunId(now);
  const tmpDir = await mkdtemp(join(tmpdir(), scratchDirPrefix(options.purpose, runId)));
  const engine = await Engine.open({ tempDirectory: join(tmpDir, 'duckdb') });
  const ctx: RunContext = {
    lake: options.lake,
    config: options.config,
    runId,
    tmpDir,
    engine,
    log: options.log ?? silentLogger(),
    progress: options.progress ?? (() => {}),
    now,
    timings: {},
  };
  return {
    ctx,
    close: async () => {
      engine.close();
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
}
