import { checkBounds, type ContributionBounds, rowSensitivity } from './contribution-bounds.js';
import { type NoiseOptions, reportedScale } from './count-mechanism.js';
import { DpParameterError } from './errors.js';
import { calibrateParts, type Noise, noiseHalfWidth, sampleNoise } from './noise.js';
import type { RandomSource } from './random-source.js';
import type { Rational } from './rational.js';
import { type ValueGrid, valueGrid } from './value-grid.js';

export { normalizedValue, quantize } from './value-grid.js';

/** The interval method of MEAN, VARIANCE and derived SUM releases. */
export const UNION_BOUND_INTERVAL =
  "union bound: each noisy part within its exact 97.5% (VARIANCE: 98.33%) noise interval, the statistic's extremes over that box; covers the truth with probability >= 95%";

/**
 * A per-partition MEAN of values clamped to [lo, hi], as PipelineDP's MeanCombiner: a noisy count
 * and a noisy normalized sum (values centred on the midpoint), each with half of ε, combined as
 * mid + sum/count and clamped to [lo, hi]. Values are first rounded to a power-of-two grid so
 * that all noise is exact integer noise.
 *
 * Units: with grid step g, q(x) = round(clamp(x, lo, hi)/g) clamped to [loUnits, hiUnits]; a
 * contribution's normalized value is 2·q(x) − (loUnits + hiUnits), an integer in
 * [−(hiUnits − loUnits), hiUnits − loUnits] ("half-units": one half-unit is g/2).
 */
export interface MeanMechanism extends ValueGrid {
  readonly kind: 'mean';
  readonly epsilon: number;
  /** 0 with Laplace noise. */
  readonly delta: number;
  /** ρ-zCDP spent in total: the Gaussian ρ, or ε²/2 for Laplace noise. */
  readonly rho: number;
  readonly bounds: ContributionBounds;
  /** Nominal share of ε for the count: epsilon / 2 (Laplace; with Gaussian noise the parts split ρ equally). */
  readonly countEpsilon: number;
  /** Nominal share of ε for the normalized sum: epsilon / 2. */
  readonly sumEpsilon: number;
  /** The count's exact noise. */
  readonly countNoise: Noise;
  /** The normalized sum's exact noise, in half-units. */
  readonly sumNoise: Noise;
  /** Laplace: the count's discrete Laplace scale L0·Linf / countEpsilon. Gaussian: its σ, for reports. */
  readonly countScale: Rational;
  /** Laplace: the normalized sum's scale in half-units, L0·Linf·(hiUnits − loUnits) / sumEpsilon. Gaussian: its σ. */
  readonly sumScale: Rational;
  /** Smallest h with P(|count noise| > h) <= 2.5%. */
  readonly countHalfWidth: number;
  /** Smallest h with P(|sum noise| > h) <= 2.5%, in half-units. */
  readonly sumHalfWidth: number;
}

/**
 * Calibrates a MEAN over values in [lo, hi]. The budget is split equally between the count and
 * the normalized sum (PipelineDP MeanCombiner requests two mechanisms of equal weight); by basic
 * composition the pair is ε-DP. Sensitivities: count L0·Linf; normalized sum
 * L0·Linf·(hiUnits − loUnits) half-units, since each kept row moves it by at most that much
 * (PipelineDP `dp_computations` normalized-sum sensitivity, on the grid).
 *
 * @throws {DpParameterError} on a bad epsilon, bounds, or lo/hi (finite, lo < hi).
 * @example
 * ```ts
 * const m = meanMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }, 0, 600_000);
 * // m.granularity === 0.5, m.loUnits === 0n, m.hiUnits === 1_200_000n,
 * // m.countScale is 2/1, m.sumScale is 2_400_000/1 half-units (= 600,000 in value units)
 * ```
 */
export function meanMechanism(
  epsilon: number,
  bounds: ContributionBounds,
  lo: number,
  hi: number,
  options: NoiseOptions = {},
): MeanMechanism {
  const b = checkBounds(bounds);
  const grid = valueGrid(lo, hi);
  const rows = rowSensitivity(b);
  const range = grid.hiUnits - grid.loUnits;
  const { budget, noises } = calibrateParts({ epsilon, delta: options.delta, noise: options.noise }, [
    { name: 'count', l1Sensitivity: rows.l1, l2SensitivitySquared: rows.l2Squared },
    { name: 'sum', l1Sensitivity: rows.l1 * range, l2SensitivitySquared: rows.l2Squared * range * range },
  ]);
  const countNoise = noises['count']!;
  const sumNoise = noises['sum']!;
  return Object.freeze({
    kind: 'mean',
    epsilon,
    delta: budget.delta,
    rho: budget.rho,
    bounds: b,
    ...grid,
    countEpsilon: epsilon / 2,
    sumEpsilon: epsilon / 2,
    countNoise,
    sumNoise,
    countScale: reportedScale(countNoise),
    sumScale: reportedScale(sumNoise),
    countHalfWidth: noiseHalfWidth(countNoise, 0.975),
    sumHalfWidth: noiseHalfWidth(sumNoise, 0.975),
  });
}

/**
 * Releases one partition's mean from its bounded aggregate (row count and sum of
 * {@link normalizedValue}s). noisyCount = count + countNoise and
 * noisySum = normalizedSum + sumNoise are exact integers; everything after is post-processing:
 * mean = g·((loUnits + hiUnits) + noisySum / max(1, noisyCount)) / 2, clamped to [lo, hi]
 * (PipelineDP MeanMechanism; the clamp as in Google's BoundedMean).
 *
 * `ci95` is conservative: the extremes of the same formula over the box
 * noisyCount ± countHalfWidth × noisySum ± sumHalfWidth, each a 97.5% interval, so by Bonferroni
 * the box holds the true (count, sum) with probability >= 95% and the interval then holds the
 * true mean of the grid values.
 *
 * @example
 * ```ts
 * const m = meanMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }, 0, 600_000);
 * const values = [1000, 2000, 3000];
 * const agg = { count: 3n, normalizedSum: values.reduce((s, v) => s + normalizedValue(m, v), 0n) };
 * const { value, ci95 } = releaseMean(m, agg, secureRandom()); // a very noisy mean of 3 values, in [0, 600000]
 * ```
 */
export function releaseMean(
  m: MeanMechanism,
  agg: { count: bigint; normalizedSum: bigint },
  rng: RandomSource,
): { value: number; ci95: [number, number]; intervalMethod: string } {
  const { count: trueCount, normalizedSum } = agg;
  if (typeof trueCount !== 'bigint' || trueCount < 0n) {
    throw new DpParameterError(`count must be a bigint >= 0, got ${String(trueCount)}`);
  }
  // Each row adds at most hiUnits − loUnits in absolute value; more means the aggregate is not over normalizedValue.
  const maxAbs = trueCount * (m.hiUnits - m.loUnits);
  if (typeof normalizedSum !== 'bigint' || normalizedSum > maxAbs || normalizedSum < -maxAbs) {
    throw new DpParameterError(
      `normalizedSum must be a bigint within ±count·(hiUnits − loUnits) = ±${maxAbs}, got ${String(normalizedSum)}`,
    );
  }
  const noisyCount = trueCount + sampleNoise(m.countNoise, rng);
  const noisySum = normalizedSum + sampleNoise(m.sumNoise, rng);
  const mid2 = Number(m.loUnits + m.hiUnits);
  const meanOf = (sum: number, count: number): number => {
    const mean = (m.granularity * (mid2 + sum / Math.max(1, count))) / 2;
    return Math.max(m.lo, Math.min(m.hi, mean));
  };
  const count = Number(noisyCount);
  const sum = Number(noisySum);
  // The mean is monotone in the sum for a fixed count and in the count for a fixed sum, so its
  // extremes over the box lie at corners.
  const corners: number[] = [];
  for (const c of [count - m.countHalfWidth, count + m.countHalfWidth]) {
    for (const s of [sum - m.sumHalfWidth, sum + m.sumHalfWidth]) corners.push(meanOf(s, c));
  }
  return {
    value: meanOf(sum, count),
    ci95: [Math.min(...corners), Math.max(...corners)],
    intervalMethod: UNION_BOUND_INTERVAL,
  };
}
