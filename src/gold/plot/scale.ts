import type { ReleasePartition } from '../release.js';

/**
 * Above this ratio of the largest to the smallest positive value, a linear axis would flatten
 * the small partitions into invisible slivers, so the chart switches to a log-like scale.
 */
export const LOG_SCALE_RATIO = 100;

const LABEL_HEADROOM = 3;

export type ValueScale =
  | { readonly kind: 'linear' }
  | {
      /** Symmetric log: logarithmic for |x| ≫ 1, linear around 0, so noisy values ≤ 0 still plot. */
      readonly kind: 'symlog';
      readonly domain: readonly [number, number];
      /** Powers of ten (and 0), since d3's symlog ticks are linear and would bunch at the top. */
      readonly ticks: readonly number[];
    };

/** Linear unless the positive values span more than two orders of magnitude. */
export function chooseValueScale(partitions: readonly ReleasePartition[]): ValueScale {
  const positive = partitions.map((p) => p.value).filter((v) => v > 0);
  if (positive.length < 2 || Math.max(...positive) / Math.min(...positive) <= LOG_SCALE_RATIO) {
    return { kind: 'linear' };
  }
  const lo = Math.min(0, ...partitions.map((p) => Math.min(p.value, p.ci95[0])));
  const hi = Math.max(...partitions.map((p) => Math.max(p.value, p.ci95[1])));
  // Half a decade of headroom so the value printed after the longest bar stays inside the plot.
  const top = hi * LABEL_HEADROOM;
  const bottom = lo < 0 ? -decadeAbove(-lo) : 0;
  const ticks: number[] = [];
  for (let t = bottom; t <= -1; t /= 10) ticks.push(t);
  ticks.push(0);
  for (let t = 1; t <= top; t *= 10) ticks.push(t);
  return { kind: 'symlog', domain: [bottom, top], ticks };
}

/** Smallest power of ten ≥ x (at least 1). */
function decadeAbove(x: number): number {
  return x <= 1 ? 1 : 10 ** Math.ceil(Math.log10(x) - 1e-9);
}
