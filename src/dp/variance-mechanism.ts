import type { ContributionBounds } from './contribution-bounds.js';
import {
  type CalibratedPart,
  multiStatMechanism,
  type MultiStatMechanism,
  releaseMultiStat,
  type StatisticRelease,
} from './multi-stat-mechanism.js';
import type { ValueStatisticParams } from './noise.js';
import type { RandomSource } from './random-source.js';
import type { ValueGrid } from './value-grid.js';

/**
 * A per-partition VARIANCE (population variance of the clamped, grid-rounded values), PipelineDP
 * style: noisy count, noisy normalized sum and noisy centred normalized sum of squares, the
 * budget split equally in three (PipelineDP `compute_dp_var`: `equally_split_budget(eps, delta, 3)`;
 * Gaussian: ρ split in three).
 */
export interface VarianceMechanism extends ValueGrid {
  readonly kind: 'variance';
  readonly epsilon: number;
  readonly delta: number;
  readonly rho: number;
  readonly bounds: ContributionBounds;
  readonly count: CalibratedPart;
  readonly normalizedSum: CalibratedPart;
  readonly normalizedSumOfSquares: CalibratedPart;
  /** The equivalent multi-statistic mechanism (used to release). */
  readonly multi: MultiStatMechanism;
}

/**
 * Calibrates a VARIANCE over values in [lo, hi].
 *
 * @example
 * ```ts
 * const m = varianceMechanism({ epsilon: 1, bounds: { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }, lo: 0, hi: 10 });
 * const values = [1, 2, 3, 4];
 * const agg = {
 *   count: 4n,
 *   normalizedSum: values.reduce((s, x) => s + normalizedValue(m, x), 0n),
 *   normalizedSumOfSquares: values.reduce((s, x) => s + normalizedSquare(m, x), 0n),
 * };
 * releaseVariance(m, agg, secureRandom()); // ≈ 1.25, very noisy with 4 values
 * ```
 */
export function varianceMechanism(params: ValueStatisticParams): VarianceMechanism {
  const multi = multiStatMechanism(params, ['variance']);
  return Object.freeze({
    kind: 'variance',
    epsilon: multi.epsilon,
    delta: multi.delta,
    rho: multi.rho,
    bounds: multi.bounds,
    ...multi.grid!,
    count: multi.parts.count!,
    normalizedSum: multi.parts.normalized_sum!,
    normalizedSumOfSquares: multi.parts.normalized_sum_of_squares!,
    multi,
  });
}

/** Releases one partition's variance; `ci95` by union bound over the three noisy parts (each at 98.33%). */
export function releaseVariance(
  m: VarianceMechanism,
  agg: { readonly count: bigint; readonly normalizedSum: bigint; readonly normalizedSumOfSquares: bigint },
  rng: RandomSource,
): StatisticRelease {
  return releaseMultiStat(m.multi, agg, rng).variance!;
}
