import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { LeaseHeldError, LeaseLostError, type LeaseOwner } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { describeOwner, type HeldLease, type Lake } from '../storage/index.js';
import { sweepLeftovers } from './leftovers.js';

/** The one lease every writer of a lake holds: Silver, the activity ledger, Bronze rewrites, releases. */
export const LAKE_LEASE = 'lake';

/** How often a waiting writer looks again. */
const POLL_MS = 500;

/** Who is asking: the command and its run (or operation) id, shown to whoever finds the lake busy. */
export interface LeaseRequester {
  readonly command: string;
  readonly runId: string;
}

export interface LakeLeaseOptions {
  /** Wait up to this long (ms) for another writer to finish. Default 0: refuse at once. */
  readonly waitMs?: number;
  readonly log?: Logger;
  /** Called once when this writer starts waiting for another (e.g. to tell a person). */
  readonly onWait?: (holder: LeaseOwner, waitMs: number) => void;
  /**
   * The lease the caller already holds on this lake (a run's own erasure flush): used as is,
   * neither taken again nor released.
   */
  readonly held?: LakeLease | undefined;
}

/** The lake lease while this process holds it; its heartbeat runs in the background. */
export interface LakeLease {
  readonly owner: LeaseOwner;
  /** Aborted (with a `LeaseLostError`) when the lease is lost. */
  readonly signal: AbortSignal;
  /**
   * Renews the lease now; raises `LeaseLostError` when another writer has taken it over. Call it
   * right before each commit step, so a writer that was paused past its lease commits nothing.
   */
  assertHeld(): Promise<void>;
  /** Stops the heartbeat and frees the lease. Idempotent. */
  release(): Promise<void>;
}

/**
 * Takes the lake lease for `who` (waiting up to `waitMs` for a live holder), starts its
 * heartbeat, and cleans up after dead processes: their scratch dirs and the lake's temp files and
 * locks (`sweepLeftovers`). A holder that is gone (dead pid on this host, or no heartbeat) is
 * replaced and the takeover logged. A live holder after the wait: `LeaseHeldError` saying who
 * holds the lake since when, where, and what to do.
 */
export async function acquireLakeLease(
  lake: Lake,
  who: LeaseRequester,
  options: LakeLeaseOptions = {},
): Promise<LakeLease> {
  const log = options.log ?? silentLogger();
  const waitMs = options.waitMs ?? 0;
  const owner: LeaseOwner = {
    runId: who.runId,
    command: who.command,
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
  };
  const deadline = Date.now() + waitMs;
  let waiting = false;
  let held: HeldLease;
  for (;;) {
    try {
      held = await lake.lease(LAKE_LEASE).acquire(owner);
      break;
    } catch (err) {
      if (!(err instanceof LeaseHeldError)) throw err;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new LeaseHeldError(inUseMessage(lake, err.holder, waitMs), err.holder);
      if (!waiting) {
        waiting = true;
        log.warn({ run: who.runId, holder: err.holder.runId, wait_ms: remaining }, 'lake in use: waiting');
        options.onWait?.(err.holder, remaining);
      }
      await sleep(Math.min(POLL_MS, remaining));
    }
  }
  if (held.broke) {
    log.warn(
      { run: who.runId, previous: held.broke.owner.runId, reason: held.broke.stale },
      'took over the lake lease from a writer that is gone',
    );
  }
  const lease = heartbeat(held, who, log);
  try {
    const swept = await sweepLeftovers(lake);
    if (swept.scratchDirs + swept.tempFiles + swept.locks > 0) {
      log.info({ run: who.runId, ...swept }, 'removed what dead processes left behind');
    }
  } catch (err) {
    await lease.release();
    throw err;
  }
  return lease;
}

/**
 * Runs `fn` holding the lake lease (see `acquireLakeLease`), then frees it. With `options.held`
 * (the caller already holds it), runs `fn` under that lease.
 *
 * @example
 * ```ts
 * await withLakeLease(lake, { command: 'flush-deletes', runId }, async (lease) => {
 *   await rewriteSilver();
 *   await lease.assertHeld(); // before the commit step
 *   await markDone();
 * }, { waitMs: 30_000 });
 * ```
 */
export async function withLakeLease<T>(
  lake: Lake,
  who: LeaseRequester,
  fn: (lease: LakeLease) => Promise<T>,
  options: LakeLeaseOptions = {},
): Promise<T> {
  if (options.held) return fn(options.held);
  const lease = await acquireLakeLease(lake, who, options);
  try {
    return await fn(lease);
  } finally {
    await lease.release();
  }
}

function inUseMessage(lake: Lake, holder: LeaseOwner, waitedMs: number): string {
  const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '';
  return (
    `the lake ${lake.describe()} is in use by ${describeOwner(holder)}${waited}; ` +
    'wait for it to finish and try again, or pass --wait <seconds> to wait for it'
  );
}

/** Renews `held` every `renewEveryMs` until released; a lost lease aborts `signal`. */
function heartbeat(held: HeldLease, who: LeaseRequester, log: Logger): LakeLease {
  const controller = new AbortController();
  let lost: LeaseLostError | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();

  const renew = async (): Promise<void> => {
    if (lost) throw lost;
    try {
      await held.renew();
    } catch (err) {
      if (err instanceof LeaseLostError && !lost) {
        lost = err;
        controller.abort(err);
        log.error({ run: who.runId }, 'lost the lake lease: stopping before the next commit step');
      }
      throw err;
    }
  };
  const schedule = (): void => {
    if (stopped || lost) return;
    timer = setTimeout(() => {
      beating = renew()
        .catch((err: unknown) => {
          if (!(err instanceof LeaseLostError)) {
            log.warn({ run: who.runId, error: String(err) }, 'could not renew the lake lease; retrying');
          }
        })
        .finally(schedule);
    }, held.renewEveryMs);
    timer.unref();
  };
  schedule();

  return {
    owner: held.owner,
    signal: controller.signal,
    assertHeld: async () => {
      await beating;
      await renew();
    },
    release: async () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await beating;
      try {
        await held.release();
      } catch (err) {
        log.warn(
          { run: who.runId, error: String(err) },
          'could not free the lake lease; it expires by itself',
        );
      }
    },
  };
}
