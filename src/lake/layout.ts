import { isRunId, runIdOfPartFile, type RunId } from './run-id.js';

/**
 * Where everything lives in the lake: one typed key builder and parser per dataset, so no module
 * spells a path by hand. Containers: `bronze`, `silver`, `gold`, `quarantine`, `private`.
 */

/** Silver session files: `silver/sessions/date=YYYY-MM-DD/part-<run>[-i].parquet`. */
export const SESSIONS_PREFIX = 'sessions/';

export function silverFileKey(date: string, runId: RunId, index: number): string {
  return `${SESSIONS_PREFIX}date=${date}/part-${runId}${index === 0 ? '' : `-${index}`}.parquet`;
}

/** The `YYYY-MM-DD` partition of a Silver key, if it is one. */
export function dateOfSilverKey(key: string): string | undefined {
  return /^sessions\/date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
}

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
export function activityFileKey(month: string, runId: RunId, index: number): string {
  return `${ACTIVITY_PREFIX}month=${month}/part-${runId}${index === 0 ? '' : `-${index}`}.parquet`;
}

export function blobIndexKey(runId: RunId, batch: number): string {
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

/** Run reports: `private/runs/<run>.json`. A run's files count once its report exists. */
export const RUNS_PREFIX = 'runs/';

export function runReportKey(runId: RunId): string {
  return `${RUNS_PREFIX}${runId}.json`;
}

export function runIdOfReportKey(key: string): RunId | undefined {
  if (!key.startsWith(RUNS_PREFIX) || !key.endsWith('.json')) return undefined;
  const id = key.slice(RUNS_PREFIX.length, -'.json'.length);
  return isRunId(id) ? id : undefined;
}

/** Quarantined lines of one Bronze blob: `quarantine/<run>/<bronze key>.ndjson`. */
export function quarantineKey(runId: RunId, bronzeKey: string): string {
  return `${runId}/${bronzeKey}.ndjson`;
}

export function runIdOfQuarantineKey(key: string): RunId | undefined {
  const run = key.split('/')[0] ?? '';
  return isRunId(run) ? run : undefined;
}

/** The datasets whose files commit with their run's report (all named `part-<run>…`). */
export const RUN_DATASETS = {
  silver: { container: 'silver', prefix: SESSIONS_PREFIX },
  activity: { container: 'private', prefix: ACTIVITY_PREFIX },
  blobIndex: { container: 'private', prefix: BLOB_INDEX_PREFIX },
} as const;
export type RunDataset = keyof typeof RUN_DATASETS;

/** The run that wrote a file of a run dataset, if `key` is one. */
export const runIdOfDataFile = runIdOfPartFile;

/**
 * Release records, the authority on what was released: `private/releases/<analysis>/<window>.json`
 * holds the exact bytes published to Gold (whose copy is restored from it if lost or altered).
 */
export const RELEASE_RECORDS_PREFIX = 'releases/';

export function releaseRecordKey(analysis: string, windowId: string): string {
  return `${RELEASE_RECORDS_PREFIX}${analysis}/${windowId}.json`;
}

/** The (analysis, window) a release record key names, if it is one. */
export function parseReleaseRecordKey(key: string): { analysis: string; windowId: string } | undefined {
  const m = /^releases\/([^/]+)\/([^/]+)\.json$/.exec(key);
  return m ? { analysis: m[1]!, windowId: m[2]! } : undefined;
}

/**
 * Gold: `gold/releases/<analysis>/<window>.json|.svg|.png`, `gold/index.json`, `gold/report.html`,
 * the trend charts `gold/trends/<analysis>.svg|.png` and the tables `gold/tables/…`.
 */
export const GOLD_RELEASES_PREFIX = 'releases/';
export const GOLD_INDEX_KEY = 'index.json';
export const GOLD_REPORT_KEY = 'report.html';

export interface GoldReleaseKeys {
  readonly json: string;
  readonly svg: string;
  readonly png: string;
}

export function goldReleaseKeys(analysis: string, windowId: string): GoldReleaseKeys {
  const base = `${GOLD_RELEASES_PREFIX}${analysis}/${windowId}`;
  return { json: `${base}.json`, svg: `${base}.svg`, png: `${base}.png` };
}

/** The (analysis, window) of a Gold release JSON key, if it is one. */
export function parseGoldReleaseKey(key: string): { analysis: string; windowId: string } | undefined {
  const m = /^releases\/([^/]+)\/([^/]+)\.json$/.exec(key);
  return m ? { analysis: m[1]!, windowId: m[2]! } : undefined;
}

/** Trend charts across windows, one per analysis with more than one window: `gold/trends/<analysis>.svg|.png`. */
export const GOLD_TRENDS_PREFIX = 'trends/';

export function goldTrendKeys(analysis: string): { readonly svg: string; readonly png: string } {
  const base = `${GOLD_TRENDS_PREFIX}${analysis}`;
  return { svg: `${base}.svg`, png: `${base}.png` };
}

/**
 * Tabular Gold, rebuilt from the release records: `gold/tables/<analysis>.csv|.parquet` per analysis
 * and every analysis together in `gold/tables/releases.parquet` (the same columns, long format).
 */
export const GOLD_TABLES_PREFIX = 'tables/';
export const GOLD_RELEASES_TABLE_KEY = `${GOLD_TABLES_PREFIX}releases.parquet`;

export function goldTableKeys(analysis: string): { readonly csv: string; readonly parquet: string } {
  const base = `${GOLD_TABLES_PREFIX}${analysis}`;
  return { csv: `${base}.csv`, parquet: `${base}.parquet` };
}
