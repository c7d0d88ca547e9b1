import type { TopLevelSpec } from 'vega-lite';
import { chartConfig } from '../gold/plot/index.js';
import { chooseValueScale } from '../gold/plot/scale.js';
import type { AnalysisEvaluation } from './evaluate.js';

const RAW = 'raw value (every session, unclamped)';
const BOUNDED = 'bounded value (what the interval covers)';

/**
 * The seed's raw-vs-DP comparison, per partition: the DP values over the simulated runs (bar at
 * the median, whiskers from the 5th to the 95th percentile) against the raw and the bounded
 * values (marks). Log-like axis when values span orders of magnitude, as for release charts.
 */
export function evaluationChartSpec(
  a: Omit<AnalysisEvaluation, 'chart'>,
  runs: number,
  label: string,
): TopLevelSpec {
  const rows = a.partitions
    .filter((p) => p.dp !== null)
    .map((p) => ({ key: p.key, median: p.dp!.median, p5: p.dp!.p5, p95: p.dp!.p95 }))
    .sort((x, y) => y.median - x.median || (x.key < y.key ? -1 : 1));
  const order = rows.map((r) => r.key);
  const marks = a.partitions.flatMap((p) => [
    ...(p.raw_unbounded === null ? [] : [{ key: p.key, series: RAW, value: p.raw_unbounded }]),
    ...(p.bounded.median === null ? [] : [{ key: p.key, series: BOUNDED, value: p.bounded.median }]),
  ]);
  const scale = chooseValueScale(
    a.partitions.map((p) => {
      const xs = [p.dp?.median, p.dp?.p5, p.dp?.p95, p.raw_unbounded, p.bounded.median].filter(
        (x): x is number => typeof x === 'number',
      );
      return {
        key: p.key,
        value: p.dp?.median ?? 0,
        ci95: [Math.min(0, ...xs), Math.max(0, ...xs)] as const,
      };
    }),
  );
  const unit = a.unit ?? 'count';
  const y = {
    field: 'key',
    type: 'nominal',
    sort: order,
    title: null,
    axis: { labelLimit: 0, ticks: false },
  } as const;
  const scaleDef: object =
    scale.kind === 'linear'
      ? { type: 'linear', zero: true, nice: true }
      : { type: 'symlog', constant: 1, domain: [...scale.domain], nice: false };
  const x = {
    type: 'quantitative',
    title: `${a.description} (${unit}${scale.kind === 'symlog' ? ', log scale' : ''})`,
    scale: scaleDef,
    axis: { format: ',~f', values: scale.kind === 'symlog' ? [...scale.ticks] : undefined, grid: true },
  } as const;
  return {
    width: 600,
    height: { step: 34 },
    background: 'white',
    padding: { left: 12, right: 24, top: 12, bottom: 12 },
    title: {
      text: [
        label,
        `${a.description} by ${a.partition_by.replace(/_category$/, '').replace(/_/g, ' ')}, ${a.window.id}`,
      ],
      subtitle: [
        `Raw vs DP over ${runs} simulated releases (ε = ${a.epsilon} each, none published or charged).`,
        'Bars: median DP value; whiskers: 5th–95th percentile of the runs.',
      ],
    },
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar', color: '#9ecae9', height: { band: 0.7 } },
        encoding: { y, x: { ...x, field: 'median' } },
      },
      {
        data: { values: rows },
        mark: {
          type: 'errorbar',
          ticks: { color: '#1f5f99', size: 10 },
          rule: { color: '#1f5f99', strokeWidth: 1.5 },
        },
        encoding: { y, x: { ...x, field: 'p5' }, x2: { field: 'p95' } },
      },
      {
        data: { values: marks },
        mark: { type: 'point', filled: true, size: 70, opacity: 1 },
        encoding: {
          y,
          x: { ...x, field: 'value' },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: [RAW, BOUNDED], range: ['#b2182b', '#222222'] },
            legend: { orient: 'bottom', direction: 'vertical', labelFontSize: 12, labelLimit: 0 },
          },
          shape: {
            field: 'series',
            type: 'nominal',
            scale: { domain: [RAW, BOUNDED], range: ['diamond', 'circle'] },
          },
        },
      },
    ],
    config: chartConfig(),
  };
}
