import type { TopLevelSpec } from 'vega-lite';
import type { Release } from '../release.js';
import { chartConfig, privacyLine } from './style.js';

const LINE_COLOR = '#1f5f99';
const BAND_COLOR = '#9ecae9';
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A release whose partitions are two or more days (`YYYY-MM-DD`), e.g. a DAU/MAU series: drawn as a line. */
export function isDateSeries(release: Release): boolean {
  return release.partitions.length > 1 && release.partitions.every((p) => ISO_DATE.test(p.key));
}

/**
 * The Vega-Lite spec of a daily series: the DP estimate as a line over the days of the window,
 * its 95% interval as a band around it. Days are in date order (a series is read left to right),
 * the axis starts at zero only when the values are near it, so day-to-day changes stay visible.
 *
 * @example
 * ```ts
 * if (isDateSeries(release)) vl.compile(seriesChartSpec(release)).spec;
 * ```
 */
export function seriesChartSpec(release: Release): TopLevelSpec {
  const rows = [...release.partitions]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((p) => ({ day: p.key, value: p.value, lo: p.ci95[0], hi: p.ci95[1] }));
  const unit = release.privacy.unit;
  const yTitle = unit ? `${release.description} (${unit})` : release.description;
  const x = {
    field: 'day',
    type: 'temporal',
    timeUnit: 'utcyearmonthdate',
    title: null,
    axis: { format: '%b %d', labelAngle: 0, grid: false, tickCount: 8 },
  } as const;
  const y = { type: 'quantitative', title: yTitle, axis: { format: ',~f', grid: true } } as const;
  return {
    width: 640,
    height: 240,
    background: 'white',
    padding: { left: 12, right: 24, top: 12, bottom: 12 },
    title: {
      text: `${release.description} per day — ${release.window.start} to ${release.window.end}`,
      subtitle: [privacyLine(release), 'Line: DP estimate; band: 95% interval.'],
    },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'area', color: BAND_COLOR, opacity: 0.55 },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
      },
      {
        mark: { type: 'line', color: LINE_COLOR, strokeWidth: 2, point: { color: LINE_COLOR, size: 18 } },
        encoding: { x, y: { ...y, field: 'value' } },
      },
    ],
    config: chartConfig(),
  };
}
