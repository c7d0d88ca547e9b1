/**
 * Named points in a run's commit sequence where the fault-injection tests (`npm run test:fault`)
 * make the process die. TEST-ONLY: set `DP_FAULT_CRASH_AT=<point>` and the process kills itself
 * with SIGKILL (as `kill -9` would: no `finally`, no cleanup) on reaching that point;
 * `DP_FAULT_CRASH_AT=<point>:stop` stops it with SIGSTOP instead, so a test can interleave another
 * process exactly there and then resume it with SIGCONT. Never set it in production.
 */
export const CRASH_POINTS = [
  /** Silver, quarantine and ledger files of the run are uploaded; the run is not committed. */
  'after-silver-upload',
  /** The run report (the commit) is written; the blobs are not checkpointed yet. */
  'after-report',
  /** The blobs are checkpointed; the Gold phase has not started. */
  'after-checkpoints',
  /** The budget is charged for the pending releases; nothing is published yet. */
  'after-charge',
  /** A first release is recorded and its Gold copy published; its chart is not drawn yet. */
  'after-publish',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** The one place `DP_FAULT_CRASH_AT` is read. */
export function crashPoint(point: CrashPoint): void {
  const spec = process.env.DP_FAULT_CRASH_AT;
  if (spec === undefined || spec === '') return;
  const [at, action = 'kill'] = spec.split(':');
  if (!(CRASH_POINTS as readonly string[]).includes(at ?? '') || (action !== 'kill' && action !== 'stop')) {
    throw new Error(
      `internal: DP_FAULT_CRASH_AT='${spec}' names no crash point (${CRASH_POINTS.join('|')}, optionally ':stop'); it is for tests only`,
    );
  }
  if (at !== point) return;
  process.kill(process.pid, action === 'stop' ? 'SIGSTOP' : 'SIGKILL');
}
