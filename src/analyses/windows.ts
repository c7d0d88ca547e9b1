import type { Window } from './release.js';

/** The calendar month `YYYY-MM` as a window. */
export function monthWindow(id: string): Window {
  const [y, m] = id.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { id, start: `${id}-01`, end: `${id}-${String(last).padStart(2, '0')}` };
}

/** Months (`YYYY-MM`) covered by the given dates, sorted. */
export function monthsOf(dates: Iterable<string>): string[] {
  return [...new Set([...dates].map((d) => d.slice(0, 7)))].sort();
}

/** A window is released only once it has closed and `latenessDays` more have passed (UTC). */
export function isClosed(window: Window, now: Date, latenessDays: number): boolean {
  const end = Date.parse(`${window.end}T00:00:00Z`) + (1 + latenessDays) * 86_400_000;
  return now.getTime() >= end;
}
