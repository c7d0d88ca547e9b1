import { runIdOfSilverFile } from '../pipeline/run-id.js';

/**
 * The private activity ledger: `private/activity/date=YYYY-MM-DD/part-<run>[-i].parquet`, one
 * row per (day, user) active that day, the user as its **link** pseudonym (see `KeyRing`).
 */
export const ACTIVITY_PREFIX = 'activity/';
/**
 * Which Bronze blobs hold lines of which user: `private/activity-index/part-<run>-<batch>.parquet`
 * with (user link, bronze key), so an erasure rewrites only the blobs that hold the user.
 */
export const BLOB_INDEX_PREFIX = 'activity-index/';

export function activityFileKey(day: string, runId: string, index: number): string {
  return `${ACTIVITY_PREFIX}date=${day}/part-${runId}${index === 0 ? '' : `-${index}`}.parquet`;
}

export function blobIndexKey(runId: string, batch: number): string {
  return `${BLOB_INDEX_PREFIX}part-${runId}-${batch}.parquet`;
}

/** The day of an activity file key, if it is one. */
export function dayOfActivityKey(key: string): string | undefined {
  return /^activity\/date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
}

/** The run that wrote a ledger or index file (`…/part-<run>[-i].parquet`). */
export const runIdOfLedgerFile = runIdOfSilverFile;
