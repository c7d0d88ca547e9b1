import type { PipelineConfig } from '../config/index.js';
import type { Engine } from '../engine/duckdb.js';
import type { Logger } from '../log.js';
import type { Lake } from '../storage/index.js';

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
