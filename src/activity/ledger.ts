import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, sqlList, sqlString } from '../engine/duckdb.js';
import { erasedLinks } from '../erasure/requests.js';
import type { Lake } from '../storage/index.js';
import {
  CommittedView,
  daysOfActivityKey,
  localCopies,
  newRunId,
  openScratch,
  verifyFiles,
  type Scratch,
} from '../lake/index.js';

/** Exact pre-noise activity counts over the private ledger. */
export interface ActivityCounts {
  /** Exact distinct active users on `day` (YYYY-MM-DD), erased users excluded. */
  dau(day: string): Promise<number>;
  /** Exact distinct users active at least once in [start, end] (inclusive), each user once even across key rotations. */
  distinctUsers(start: string, end: string): Promise<number>;
  /** Per-user presence for continual release: one entry per user (no ids!), the sorted distinct days they were active in [start, end]. */
  activeDaysByUser(start: string, end: string): Promise<readonly (readonly string[])[]>;
}

/** `ActivityCounts` plus `close()`, which releases the engine when `openActivity` opened it. */
export interface ActivityLedger extends ActivityCounts {
  close(): void;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The activity ledger of `lake`: one (day, user) row per user active that day, from Silver
 * sessions (including events ingested through `ingestEvents`), users keyed by their link
 * pseudonym so key rotations do not split them. Erased users are excluded as soon as their
 * request is recorded (before `flush-deletes` purges their rows). Every query reads the
 * committed ledger files as they are at that moment; DuckDB does the distinct counting.
 *
 * @example
 * ```ts
 * const activity = await openActivity(new FsLake('./lake'));
 * console.log(await activity.dau('2016-08-01'), await activity.distinctUsers('2016-08-01', '2016-08-30'));
 * activity.close();
 * ```
 */
export async function openActivity(lake: Lake, options: { engine?: Engine } = {}): Promise<ActivityLedger> {
  let scratch: Scratch | undefined = await openScratch('activity', newRunId(), { engine: options.engine });
  const db = scratch.engine;
  // One query at a time on the connection: callers (e.g. an HTTP server) may ask concurrently.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  /** Runs `sql(source)` where `source` is a relation `(day DATE, "user" VARCHAR)` of [start, end]. */
  async function query<T>(
    start: string,
    end: string,
    sql: (source: string) => string,
  ): Promise<T[] | undefined> {
    checkRange(start, end);
    const view = await CommittedView.open(lake);
    const keep = inWindow(start, end);
    const keys = await view.files('activity', keep);
    const store = lake.objects('private');
    if (!scratch) throw new Error('internal: the activity ledger was closed');
    const tmp = store.localPath ? undefined : await mkdtemp(join(scratch.dir, 'read-'));
    try {
      const paths = await localCopies(store, keys, tmp ?? '');
      // Before any count (and so before any budget is spent on it): a ledger file of the window
      // that is missing, truncated or altered is refused rather than silently undercounting.
      await verifyFiles(lake, view, { dataset: 'activity', keep, keys, paths });
      if (keys.length === 0) return undefined;
      const erased = [...(await erasedLinks(lake))];
      const source = `(SELECT day, "user" FROM read_parquet(${sqlList(paths)}, hive_partitioning = false)
        WHERE day BETWEEN DATE ${sqlString(start)} AND DATE ${sqlString(end)}
        ${erased.length > 0 ? `AND "user" NOT IN (SELECT unnest(${sqlList(erased)}))` : ''})`;
      return await db.all<T>(sql(source));
    } finally {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }
  }

  const distinct = async (start: string, end: string): Promise<number> => {
    const rows = await query<{ n: bigint }>(
      start,
      end,
      (s) => `SELECT count(DISTINCT "user") AS n FROM ${s}`,
    );
    return Number(rows?.[0]?.n ?? 0n);
  };

  return {
    dau: (day) => serial(() => distinct(day, day)),
    distinctUsers: (start, end) => serial(() => distinct(start, end)),
    activeDaysByUser: (start, end) =>
      serial(async () => {
        const rows = await query<{ days: string }>(
          start,
          end,
          // Sorted by the day lists themselves: the order carries nothing about the users.
          (
            s,
          ) => `SELECT string_agg(DISTINCT strftime(day, '%Y-%m-%d'), ',' ORDER BY strftime(day, '%Y-%m-%d')) AS days
            FROM ${s} GROUP BY "user" ORDER BY days`,
        );
        return (rows ?? []).map((r) => Object.freeze(r.days.split(',')));
      }),
    close: () => {
      void scratch?.close();
      scratch = undefined;
    },
  };
}

function checkRange(start: string, end: string): void {
  for (const d of [start, end]) {
    if (!DAY.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)))
      throw new RangeError(`activity: expected a date YYYY-MM-DD, got '${d}'`);
  }
  if (start > end) throw new RangeError(`activity: start ${start} is after end ${end}`);
}

/** Committed ledger files (their run's report exists) that can hold days in [start, end]. */
export async function ledgerFiles(lake: Lake, start: string, end: string): Promise<string[]> {
  return (await CommittedView.open(lake)).files('activity', inWindow(start, end));
}

/** Whether a ledger file can hold days in [start, end]. */
function inWindow(start: string, end: string): (key: string) => boolean {
  return (key) => {
    const days = daysOfActivityKey(key);
    return days !== undefined && days[0] <= end && days[1] >= start;
  };
}
