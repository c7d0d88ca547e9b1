import type { ActivityCounts } from '../../src/active-users/index.js';

/**
 * Exact counts over an explicit map user → active days: the brute-force model of the activity
 * ledger, for tests of what is built on top of it (releases, budget, HTTP).
 */
export function modelCounts(activity: ReadonlyMap<string, readonly string[]>): ActivityCounts & {
  calls: number;
} {
  const counts = {
    calls: 0,
    dau(day: string): Promise<number> {
      counts.calls++;
      return Promise.resolve([...activity.values()].filter((days) => days.includes(day)).length);
    },
    distinctUsers(start: string, end: string): Promise<number> {
      counts.calls++;
      return Promise.resolve(
        [...activity.values()].filter((days) => days.some((d) => d >= start && d <= end)).length,
      );
    },
    activeDaysByUser(start: string, end: string): Promise<readonly (readonly string[])[]> {
      counts.calls++;
      return Promise.resolve(
        [...activity.values()]
          .map((days) => [...new Set(days.filter((d) => d >= start && d <= end))].sort())
          .filter((days) => days.length > 0),
      );
    },
  };
  return counts;
}

/** `n` users, user i active on the days of August 2016 with (day + i) % period === 0. */
export function syntheticActivity(n: number, period = 3): Map<string, string[]> {
  const activity = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    const days: string[] = [];
    for (let d = 1; d <= 31; d++)
      if ((d + i) % period === 0) days.push(`2016-08-${String(d).padStart(2, '0')}`);
    activity.set(`user-${i}`, days);
  }
  return activity;
}
