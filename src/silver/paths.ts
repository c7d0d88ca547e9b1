/** Where Silver session files live: `silver/sessions/date=YYYY-MM-DD/part-<run>[-i].parquet`. */
export const SESSIONS_PREFIX = 'sessions/';

export function silverFileKey(date: string, runId: string, index: number): string {
  return `${SESSIONS_PREFIX}date=${date}/part-${runId}${index === 0 ? '' : `-${index}`}.parquet`;
}

/** The `YYYY-MM-DD` partition of a Silver key, if it is one. */
export function dateOfSilverKey(key: string): string | undefined {
  return /^sessions\/date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
}
