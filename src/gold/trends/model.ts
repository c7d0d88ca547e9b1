import type { Release } from '../release.js';

/** How many partitions a trend chart draws; the others are in the report's table and Gold tables. */
export const TOP_PARTITIONS = 8;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A released window of the analysis. */
export interface TrendWindow {
  readonly windowId: string;
  readonly start: string;
  readonly end: string;
}

/** Days between two released windows with no release: drawn as a break, never as zeros. */
export interface TrendGap {
  /** First day not covered, `YYYY-MM-DD`. */
  readonly start: string;
  /** Last day not covered. */
  readonly end: string;
}

/** One released number and its 95% interval. */
export interface TrendCell {
  readonly value: number;
  readonly ci95: readonly [number, number];
}

/**
 * The trend of one analysis across its released windows: post-processing of public release
 * fields only (values, intervals, windows, parameters), so it costs no privacy budget.
 *
 * - `partitions`: a line per partition over the windows (x = window start), e.g. sessions per
 *   continent month by month; `series` are the partition keys ranked by their total over the windows.
 * - `days`: releases whose partitions are days (DAU, MAU, their series): one line over the days
 *   (x = the day), per description (e.g. a rolling 30-day and a rolling 7-day MAU apart).
 */
export interface Trend {
  readonly analysis: string;
  readonly kind: 'partitions' | 'days';
  readonly description: string;
  readonly partitionBy: string;
  /** The output drawn: the release's first (`partitions[].value`), e.g. `count` or `mean`. */
  readonly output: string;
  /** Every output of the releases; the chart draws the first, the tables have all. */
  readonly outputs: readonly string[];
  readonly unit?: string;
  /** Released windows, in time order. */
  readonly windows: readonly TrendWindow[];
  readonly gaps: readonly TrendGap[];
  /** Whether every window is one calendar month (axis labels as months). */
  readonly monthly: boolean;
  /** Lines, ranked (largest total first for partitions). */
  readonly series: readonly string[];
  /** The lines drawn: the first {@link TOP_PARTITIONS} of `series`. */
  readonly shown: readonly string[];
  /** series → x (window id for partitions, day for days) → cell; absent = not released there. */
  readonly cells: ReadonlyMap<string, ReadonlyMap<string, TrendCell>>;
  /** For `days`: each series' points in day order with the windows they came from. */
  readonly days: ReadonlyMap<string, readonly { readonly day: string; readonly windowId: string }[]>;
  /** Distinct ε and δ of the releases, ascending. */
  readonly epsilons: readonly number[];
  readonly deltas: readonly number[];
  /** Whether keys were chosen by private partition selection in some window (absent ≠ zero). */
  readonly selected: boolean;
}

/** One point of a trend chart's inline data: `value`, `lo`, `hi` are null where the line breaks. */
export interface TrendPoint {
  readonly series: string;
  /** `YYYY-MM-DD`: the window start (partitions) or the day (days). */
  readonly x: string;
  readonly value: number | null;
  readonly lo: number | null;
  readonly hi: number | null;
  /** A point with no neighbour on its line: drawn with an interval rule, as it has no band. */
  readonly isolated: boolean;
}

/**
 * The trends of every analysis with more than one released window, by analysis name.
 *
 * @example
 * ```ts
 * for (const trend of trendsOf(records)) await renderSpec(trendChartSpec(trend));
 * ```
 */
export function trendsOf(
  records: readonly { readonly release: Release; readonly windowId: string }[],
): Trend[] {
  const byAnalysis = new Map<string, { release: Release; windowId: string }[]>();
  for (const r of records) {
    const list = byAnalysis.get(r.release.analysis) ?? [];
    if (list.length === 0) byAnalysis.set(r.release.analysis, list);
    list.push(r);
  }
  return [...byAnalysis.keys()]
    .sort()
    .map((a) => trendOf(byAnalysis.get(a)!))
    .filter((t): t is Trend => t !== undefined);
}

/** The trend of one analysis's releases; undefined with fewer than two windows. */
export function trendOf(
  records: readonly { readonly release: Release; readonly windowId: string }[],
): Trend | undefined {
  if (records.length < 2) return undefined;
  const ordered = [...records].sort(
    (a, b) =>
      cmp(a.release.window.start, b.release.window.start) ||
      cmp(a.release.window.end, b.release.window.end) ||
      cmp(a.windowId, b.windowId),
  );
  const latest = ordered.at(-1)!.release;
  const windows = ordered.map((r) => ({ windowId: r.windowId, ...r.release.window }));
  const days = ordered.every((r) => r.release.partitions.every((p) => ISO_DATE.test(p.key)));
  const cells = new Map<string, Map<string, TrendCell>>();
  const cell = (series: string, x: string, c: TrendCell): void => {
    const m = cells.get(series) ?? new Map<string, TrendCell>();
    if (m.size === 0) cells.set(series, m);
    if (!m.has(x)) m.set(x, { value: c.value, ci95: [c.ci95[0], c.ci95[1]] });
  };
  const dayPoints = new Map<string, { day: string; windowId: string }[]>();
  for (const { release, windowId } of ordered) {
    for (const p of release.partitions) {
      if (days) {
        cell(release.description, p.key, p);
        const list = dayPoints.get(release.description) ?? [];
        if (list.length === 0) dayPoints.set(release.description, list);
        list.push({ day: p.key, windowId });
      } else {
        cell(p.key, windowId, p);
      }
    }
  }
  for (const list of dayPoints.values()) list.sort((a, b) => cmp(a.day, b.day));
  const total = (s: string): number => [...cells.get(s)!.values()].reduce((sum, c) => sum + c.value, 0);
  const series = [...cells.keys()].sort((a, b) => (days ? cmp(a, b) : total(b) - total(a) || cmp(a, b)));
  return {
    analysis: latest.analysis,
    kind: days ? 'days' : 'partitions',
    description: latest.description,
    partitionBy: latest.partition_by,
    output: latest.outputs?.[0] ?? latest.statistic,
    outputs: latest.outputs ?? [latest.statistic],
    ...(latest.privacy.unit !== undefined ? { unit: latest.privacy.unit } : {}),
    windows,
    gaps: days
      ? unionOf([...dayPoints.values()].map((l) => spacingGaps(l.map((d) => d.day))))
      : gapsBetween(windows),
    monthly: windows.every(isWholeMonth),
    series,
    shown: series.slice(0, TOP_PARTITIONS),
    cells,
    days: dayPoints,
    epsilons: distinct(ordered.map((r) => r.release.privacy.epsilon)),
    deltas: distinct(ordered.map((r) => r.release.privacy.delta)),
    selected: ordered.some((r) => isSelected(r.release)),
  };
}

/**
 * The chart's points: per shown line, one per released window (or day), and a break (nulls)
 * wherever a window was not released or a partition not selected, so a gap is never drawn as a
 * line through it, nor as a zero.
 */
export function trendPoints(trend: Trend): TrendPoint[] {
  const points: { series: string; x: string; c: TrendCell | undefined }[] = [];
  // A break goes wherever a gap of the line starts between two consecutive points.
  const breaks = (gaps: readonly TrendGap[], after: string, before: string): string[] =>
    gaps.filter((g) => g.start > after && g.start < before).map((g) => g.start);
  for (const series of trend.shown) {
    const cells = trend.cells.get(series)!;
    const days = trend.days.get(series) ?? [];
    const xs: { x: string; key: string; last: string }[] =
      trend.kind === 'partitions'
        ? trend.windows.map((w) => ({ x: w.start, key: w.windowId, last: w.end }))
        : days.map((d) => ({ x: d.day, key: d.day, last: d.day }));
    const gaps = trend.kind === 'partitions' ? trend.gaps : spacingGaps(days.map((d) => d.day));
    xs.forEach((p, i) => {
      points.push({ series, x: p.x, c: cells.get(p.key) });
      const next = xs[i + 1];
      if (next) for (const x of breaks(gaps, p.last, next.x)) points.push({ series, x, c: undefined });
    });
  }
  return points.map((p, i) => {
    const prev = points[i - 1];
    const next = points[i + 1];
    const linked = (q: typeof prev): boolean => q !== undefined && q.series === p.series && q.c !== undefined;
    return {
      series: p.series,
      x: p.x,
      value: p.c?.value ?? null,
      lo: p.c?.ci95[0] ?? null,
      hi: p.c?.ci95[1] ?? null,
      isolated: p.c !== undefined && !linked(prev) && !linked(next),
    };
  });
}

/**
 * Gaps of a line of days (DAU, MAU at chosen ends, the daily series): where two consecutive days
 * are more than 1.5 times the line's median spacing apart. Rolling windows overlap or leave a day
 * between them by the calendar (30-day MAU at month ends), so coverage cannot say what is
 * missing; the cadence the releases were asked at can: daily for DAU and the series, monthly
 * for MAU asked at month ends.
 */
export function spacingGaps(days: readonly string[]): TrendGap[] {
  const sorted = [...new Set(days)].sort();
  const steps = sorted.slice(1).map((d, i) => daysBetween(sorted[i]!, d));
  if (steps.length === 0) return [];
  const median = [...steps].sort((a, b) => a - b)[Math.floor((steps.length - 1) / 2)]!;
  const gaps: TrendGap[] = [];
  steps.forEach((step, i) => {
    if (step > 1.5 * median) gaps.push({ start: addDays(sorted[i]!, 1), end: addDays(sorted[i + 1]!, -1) });
  });
  return gaps;
}

function unionOf(lists: readonly TrendGap[][]): TrendGap[] {
  const seen = new Map<string, TrendGap>();
  for (const g of lists.flat()) seen.set(`${g.start}/${g.end}`, g);
  return [...seen.values()].sort((a, b) => cmp(a.start, b.start) || cmp(a.end, b.end));
}

function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** Day ranges between consecutive windows that no window covers. */
function gapsBetween(windows: readonly TrendWindow[]): TrendGap[] {
  const gaps: TrendGap[] = [];
  let covered = windows[0]?.end ?? '';
  for (const w of windows.slice(1)) {
    const from = addDays(covered, 1);
    if (w.start > from) gaps.push({ start: from, end: addDays(w.start, -1) });
    if (w.end > covered) covered = w.end;
  }
  return gaps;
}

function isWholeMonth(w: TrendWindow): boolean {
  return (
    w.start.endsWith('-01') && w.end.slice(0, 7) === w.start.slice(0, 7) && addDays(w.end, 1).endsWith('-01')
  );
}

function isSelected(release: Release): boolean {
  const r = release as unknown as Record<string, unknown>;
  return r.partition_selection !== undefined || release.privacy.partition_selection !== undefined;
}

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function distinct(xs: readonly number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
