import { runIdOfSilverFile } from '../pipeline/run-id.js';

/**
 * The private activity ledger: `private/activity/month=YYYY-MM/part-<run>[-i].parquet`, one row
 * per (day, user) active that day, the user as its **link** pseudonym (see `KeyRing`). A month
 * per file (not a day: 12 files a year instead of 365, which is most of the cost of writing
 * it); readers filter on `day`. Day files (`activity/date=YYYY-MM-DD/…`, the earlier layout and
 * what `rebuild-activity` writes) are read the same way.
 */
export const ACTIVITY_PREFIX = 'activity/';
/**
 * Which Bronze blobs hold lines of which user: `private/activity-index/part-<run>-<batch>.parquet`
 * with (user link, bronze key), so an erasure rewrites only the blobs that hold the user.
 */
export const BLOB_INDEX_PREFIX = 'activity-index/';

/** The ledger file of `month` (YYYY-MM) written by `runId`; `index` numbers a run's batches. */
export function activityFileKey(month: string, runId: string, index: number): string {
  return `${ACTIVITY_PREFIX}month=${month}/part-${runId}${index === 0 ? '' : `-${index}`}.parquet`;
}

export function blobIndexKey(runId: string, batch: number): string {
  return `${BLOB_INDEX_PREFIX}part-${runId}-${batch}.parquet`;
}

/**
 * The days an activity file can hold, `[first, last]` as YYYY-MM-DD (a month file's `last` is
 * day 31, which compares correctly with any real day of that month), if `key` is one.
 */
export function daysOfActivityKey(key: string): readonly [string, string] | undefined {
  const day = /^activity\/date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
  if (day !== undefined) return [day, day];
  const month = /^activity\/month=(\d{4}-\d{2})\//.exec(key)?.[1];
  return month === undefined ? undefined : [`${month}-01`, `${month}-31`];
}

/** The run that wrote a ledger or index file (`…/part-<run>[-i].parquet`). */
export const runIdOfLedgerFile = runIdOfSilverFile;
