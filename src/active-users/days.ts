import { UserError } from '../errors.js';

const DAY_MS = 86_400_000;

/** Parses `YYYY-MM-DD` (a real calendar day) or raises a one-line `UserError` naming `field`. */
export function parseDay(text: string, field = 'day'): string {
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(text) ||
    Number.isNaN(ms) ||
    new Date(ms).toISOString().slice(0, 10) !== text
  ) {
    throw new UserError(`${field} must be a date YYYY-MM-DD, got '${text}'`);
  }
  return text;
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

export function monthOf(day: string): string {
  return day.slice(0, 7);
}

/** The days of month `YYYY-MM`, in order. */
export function daysOfMonth(month: string): string[] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: last }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

/** The months `YYYY-MM` from the month of `start` to that of `end`, in order. */
export function monthsBetween(start: string, end: string): string[] {
  const months: string[] = [];
  for (let m = monthOf(start); m <= monthOf(end);) {
    months.push(m);
    const [y, mm] = m.split('-').map(Number) as [number, number];
    m = new Date(Date.UTC(y, mm, 1)).toISOString().slice(0, 7);
  }
  return months;
}
