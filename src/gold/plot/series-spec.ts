import type { TopLevelSpec } from 'vega-lite';
import type { Release } from '../release.js';
import { FONT_FAMILY } from './font.js';

const LINE_COLOR = '#4c78a8';
const INK = '#222222';
const MUTED = '#555555';

/**
 * The Vega-Lite spec of a daily series release (`partition_by: 'day'`): the DP estimate per day
 * as a line, its 95% interval as a shaded band. Data inline, so nothing is ever fetched.
 *
 * @example
 * ```ts
 * const vegaSpec = vl.compile(seriesChartSpec(release)).spec;
 * ```
 */
export function seriesChartSpec(release: Release): TopLevelSpec {
  const rows = release.partitions.map((p) => ({ day: p.key, value: p.value, lo: p.ci95[0], hi: p.ci95[1] }));
  const x = {
    field: 'day',
    type: 'temporal',
    timeUnit: 'utcyearmonthdate',
    title: null,
    axis: { format: '%b %d', labelAngle: 0, grid: false },
  } as const;
  const y = {
    type: 'quantitative',
    title: `${release.description} (count)`,
    axis: { format: ',~f' },
  } as const;
  const { epsilon, delta } = release.privacy;
  const budget = delta > 0 ? `ε = ${epsilon}, δ = ${delta}` : `ε = ${epsilon}`;
  const how = release.privacy.continual
    ? `one continual release, flippancy bound w = ${release.privacy.continual.max_flippancy}`
    : 'per-day releases';
  return {
    width: 640,
    height: 260,
    background: 'white',
    padding: { left: 12, right: 24, top: 12, bottom: 12 },
    title: {
      text: `${release.description} — ${release.window.start} to ${release.window.end}`,
      subtitle: [
        `Differentially private (${budget}, per visitor; ${how}).`,
        'Line: DP estimate; band: 95% interval.',
      ],
    },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'area', color: LINE_COLOR, opacity: 0.2 },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
      },
      {
        mark: { type: 'line', color: LINE_COLOR, strokeWidth: 2, point: { size: 18, color: LINE_COLOR } },
        encoding: { x, y: { ...y, field: 'value' } },
      },
    ],
    config: {
      font: FONT_FAMILY,
      view: { stroke: null },
      title: {
        anchor: 'start',
        fontSize: 17,
        fontWeight: 'bold',
        color: INK,
        subtitleFontSize: 12.5,
        subtitleColor: MUTED,
        subtitlePadding: 6,
        offset: 14,
      },
      axis: {
        labelFontSize: 12,
        titleFontSize: 12.5,
        titleFontWeight: 'normal',
        labelColor: INK,
        titleColor: MUTED,
      },
    },
  };
}
