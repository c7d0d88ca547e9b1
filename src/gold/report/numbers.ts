import type { Release } from '../release.js';

/** One formatter per number of decimals: making an `Intl` formatter costs far more than using it. */
const formatters = new Map<number, Intl.NumberFormat>();
const en = (digits: number): Intl.NumberFormat => {
  let f = formatters.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    formatters.set(digits, f);
  }
  return f;
};
const monthYear = new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** Formats a release's values: counts as integers, other statistics with the decimals their size needs. */
export function valueFormatter(release: Release): (x: number) => string {
  return numbersFormatter(release.partitions);
}

/** {@link valueFormatter} for any set of values and intervals (e.g. one analysis across its windows). */
export function numbersFormatter(
  values: readonly { readonly value: number; readonly ci95: readonly [number, number] }[],
): (x: number) => string {
  const integers = values.every(
    (p) => Number.isInteger(p.value) && Number.isInteger(p.ci95[0]) && Number.isInteger(p.ci95[1]),
  );
  if (integers) {
    const f = en(0);
    return (x) => f.format(x);
  }
  const largest = Math.max(0, ...values.map((p) => Math.abs(p.value)));
  const f = en(largest >= 1000 ? 0 : largest >= 10 ? 1 : largest >= 1 ? 2 : 4);
  return (x) => f.format(x);
}

/** e^ε, rounded for reading. */
export function expEpsilon(epsilon: number): string {
  const v = Math.exp(epsilon);
  return v < 10 ? v.toFixed(2) : en(0).format(v);
}

/** `2016-08-01`..`2016-08-31` → "August 2016"; other windows as "start to end". */
export function windowLabel(window: Release['window']): string {
  const start = new Date(`${window.start}T00:00:00Z`);
  const endNext = new Date(`${window.end}T00:00:00Z`);
  endNext.setUTCDate(endNext.getUTCDate() + 1);
  const wholeMonth =
    start.getUTCDate() === 1 &&
    endNext.getUTCDate() === 1 &&
    endNext.getUTCMonth() === (start.getUTCMonth() + 1) % 12;
  if (wholeMonth) {
    return monthYear.format(start);
  }
  return `${window.start} to ${window.end}`;
}

/** A duration in a time unit, in words for people (`198379 ms` → `3 min 18 s`); undefined for other units. */
export function humanDuration(value: number, unit: string | undefined): string | undefined {
  const factor = unit === 'ms' ? 0.001 : unit === 's' ? 1 : undefined;
  if (factor === undefined || !Number.isFinite(value)) return undefined;
  const total = Math.round(Math.abs(value) * factor);
  const sign = value < 0 ? '−' : '';
  if (total < 60) return `${sign}${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${sign}${h} h ${m} min` : `${sign}${m} min ${s} s`;
}

/** A window in few characters for navigation and table headers: `Aug 2016`, `2016-08-03`, or "start to end". */
export function shortWindowLabel(window: Release['window']): string {
  const long = windowLabel(window);
  if (long !== `${window.start} to ${window.end}`) {
    const start = new Date(`${window.start}T00:00:00Z`);
    return start.toLocaleDateString('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' });
  }
  return window.start === window.end ? window.start : long;
}
