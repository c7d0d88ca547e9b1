import type { TopLevelSpec } from 'vega-lite';
import { chartConfig } from '../plot/index.js';
import { addDays, trendPoints, type Trend } from './model.js';

const MUTED = '#555555';
const LINE = '#1f5f99';
/** Most points a line may have and still get a marker per point. */
const POINTS_DRAWN = 60;
const BAND = '#9ecae9';

type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

const WIDTH = 640;
const HEIGHT = 300;
/** Above this ratio of the largest to the smallest positive value, the y axis is logarithmic-like. */
const LOG_SCALE_RATIO = 100;
/** Vega-Lite ≥ 5.19: a null value breaks the line and the band instead of being skipped over. */
const BREAK = 'break-paths-show-domains';

/**
 * The Vega-Lite spec of a trend across windows: a line per shown partition (or one per day
 * series) with its 95% band, a point per released window, an interval rule on a point with no
 * neighbour, and breaks where a window was not released or a partition not selected (never a
 * zero). Data inline, drawn from public release fields only.
 *
 * @example
 * ```ts
 * const { svg, png } = await renderSpec(trendChartSpec(trend));
 * ```
 */
export function trendChartSpec(trend: Trend): TopLevelSpec {
  const points = trendPoints(trend);
  const many = trend.shown.length > 1;
  const long = trend.monthly || addDays(trend.windows[0]!.start, 120) < trend.windows.at(-1)!.end;
  const x = {
    field: 'x',
    type: 'temporal',
    // Named for screen readers (each point's label); the axis itself needs no title.
    title: trend.kind === 'days' ? 'Day' : 'Window',
    scale: { type: 'utc' },
    axis: {
      title: null,
      format: long ? '%b %Y' : '%b %d',
      labelAngle: 0,
      grid: false,
      labelOverlap: 'greedy',
      // Whole months: a tick per month (or every few), never two labels for one month.
      ...(trend.monthly
        ? { tickCount: { interval: 'month' as const, step: Math.ceil(trend.windows.length / 9) } }
        : {}),
    },
  } as const;
  const scale = yScale(points, trend.output);
  const y = {
    type: 'quantitative',
    title: yTitle(trend, scale.log),
    scale: scale.scale,
    axis: scale.axis,
  } as const;
  const series = {
    field: 'series',
    type: 'nominal',
    sort: [...trend.shown],
    title: trend.kind === 'days' ? null : words(trend.partitionBy),
    scale: { scheme: 'tableau10' },
  } as const;
  // Layers sharing a colour scale merge their legends (one layer without a legend hides it for
  // all); the symbols are drawn as lines at full opacity, not as the band's pale fill.
  const legend = {
    orient: 'right',
    labelLimit: 180,
    symbolType: 'stroke',
    symbolStrokeWidth: 3,
    symbolOpacity: 1,
  } as const;
  const colour = many ? { color: { ...series, legend } } : {};
  const lineMark = many ? {} : { color: LINE };
  const bandMark = many ? {} : { color: BAND };

  const layers: Layer[] = [];
  if (trend.gaps.length > 0) {
    // Windows not released, shaded and labelled, so a gap reads as "no release", not as a dip.
    const gaps = trend.gaps.map((g) => ({ x: g.start, x2: addDays(g.end, 1) }));
    layers.push(
      {
        data: { values: gaps },
        mark: { type: 'rect', color: '#efefef' },
        encoding: { x: { ...x, field: 'x' }, x2: { field: 'x2' } },
      },
      {
        data: { values: gaps },
        mark: {
          type: 'text',
          text: 'not released',
          angle: 270,
          align: 'right',
          baseline: 'top',
          dx: -6,
          dy: 4,
          y: 0,
          color: MUTED,
          fontSize: 11,
        },
        encoding: { x: { ...x, field: 'x' } },
      },
    );
  }
  layers.push(
    {
      mark: { type: 'area', opacity: many ? 0.14 : 0.35, invalid: BREAK, ...bandMark },
      encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, ...colour },
    },
    {
      transform: [{ filter: 'datum.isolated' }],
      mark: { type: 'rule', strokeWidth: 2, ...lineMark },
      encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, ...colour },
    },
    {
      mark: {
        type: 'line',
        strokeWidth: 2,
        invalid: BREAK,
        // A point per window while they can be told apart; a long daily line is drawn plain
        // (a lone day still gets its interval rule), which also keeps its SVG small.
        point: perLine(points) <= POINTS_DRAWN ? { filled: true, size: 30 } : false,
        ...lineMark,
      },
      encoding: { x, y: { ...y, field: 'value' }, ...colour },
    },
  );
  return {
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    padding: { left: 12, right: 24, top: 12, bottom: 12 },
    title: { text: titleOf(trend), subtitle: subtitleOf(trend) },
    data: { values: points },
    layer: layers,
    config: chartConfig(),
  };
}

function perLine(points: readonly { series: string }[]): number {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.series, (counts.get(p.series) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

function titleOf(trend: Trend): string {
  return trend.kind === 'days' ? trend.description : `${trend.description} by ${words(trend.partitionBy)}`;
}

/** Short lines: headless Vega estimates text at 0.8 em a character, so a long line widens the chart. */
function subtitleOf(trend: Trend): string[] {
  const eps = trend.epsilons;
  const epsilon = eps.length === 1 ? `ε = ${eps[0]}` : `ε = ${eps[0]}–${eps.at(-1)}`;
  const delta = trend.deltas.at(-1)! > 0 ? `, δ ≤ ${trend.deltas.at(-1)}` : '';
  const span = `${trend.windows[0]!.start} to ${trend.windows.at(-1)!.end}`;
  const lines = [
    trend.kind === 'days'
      ? `Per day, ${span}, from ${trend.windows.length} releases.`
      : `${trend.windows.length} windows, ${span}.`,
    `Differentially private (${epsilon}${delta} per release, per visitor).`,
    `Redrawn from the published releases: no extra privacy budget.`,
    `Lines: DP estimates; bands: 95% intervals.`,
  ];
  if (trend.gaps.length > 0 || trend.selected) {
    lines.push(`Breaks: ${trend.selected ? 'not released or not selected' : 'not released'}, never zeros.`);
  }
  if (trend.series.length > trend.shown.length) {
    lines.push(
      `Top ${trend.shown.length} of ${trend.series.length} by total; the rest in the report's table.`,
    );
  }
  if (trend.outputs.length > 1)
    lines.push(`Drawn: ${trend.output}; ${trend.outputs.slice(1).join(', ')} are in the tables.`);
  return lines;
}

function yTitle(trend: Trend, log: boolean): string {
  const unit = trend.unit && !['count', 'privacy_id_count'].includes(trend.output) ? trend.unit : '';
  const notes = [trend.output, unit, log ? 'log scale' : ''].filter((s) => s !== '');
  return `${trend.description} (${notes.join(', ')})`;
}

/**
 * Linear (from zero for counts and sums), unless the positive values span more than two orders
 * of magnitude: then symlog (logarithmic, but linear around zero so noisy values ≤ 0 still plot),
 * with powers of ten as ticks, since d3's symlog ticks are linear and would bunch at the top.
 */
function yScale(
  points: readonly { value: number | null; lo: number | null; hi: number | null }[],
  output: string,
): { scale: object; axis: object; log: boolean } {
  const values = points.flatMap((p) => (p.value === null ? [] : [p.value]));
  const positive = values.filter((v) => v > 0);
  if (positive.length < 2 || Math.max(...positive) / Math.min(...positive) <= LOG_SCALE_RATIO) {
    const zero = ['count', 'privacy_id_count', 'sum'].includes(output);
    return { scale: { type: 'linear', zero, nice: true }, axis: { format: ',~f', grid: true }, log: false };
  }
  const lo = Math.min(0, ...points.flatMap((p) => (p.lo === null ? [] : [p.lo])));
  const hi = Math.max(...points.flatMap((p) => (p.hi === null ? [] : [p.hi])));
  const bottom = lo < 0 ? -decadeAbove(-lo) : 0;
  const top = decadeAbove(hi);
  const ticks: number[] = [];
  for (let t = bottom; t <= -1; t /= 10) ticks.push(t);
  ticks.push(0);
  for (let t = 1; t <= top; t *= 10) ticks.push(t);
  return {
    scale: { type: 'symlog', constant: 1, domain: [bottom, top], nice: false },
    axis: { format: ',~f', grid: true, values: ticks },
    log: true,
  };
}

/** Smallest power of ten ≥ x (at least 1). */
function decadeAbove(x: number): number {
  return x <= 1 ? 1 : 10 ** Math.ceil(Math.log10(x) - 1e-9);
}

/** `device_category` → `device`: the Silver column, in words. */
function words(column: string): string {
  return column.replace(/_category$/, '').replace(/_/g, ' ');
}
