import { checkBounds, type ContributionBounds } from './contribution-bounds.js';
import { checkEpsilon, checkFinite, DpParameterError } from './errors.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import { chooseGranularity } from './granularity.js';
import { discreteLaplaceHalfWidth, discreteLaplaceScale } from './laplace-calibration.js';
import type { RandomSource } from './random-source.js';
import { rational, rationalFromNumber, rationalToNumber, type Rational } from './rational.js';

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
export interface MeanMechanism {
  readonly kind: 'mean';
  readonly epsilon: number;
  readonly bounds: ContributionBounds;
  readonly lo: number;
  readonly hi: number;
  /** Grid step g, a power of two: {@link chooseGranularity}(lo, hi). */
  readonly granularity: number;
  /** ceil(lo/g): the lowest grid point in [lo, hi], in units of g. */
  readonly loUnits: bigint;
  /** floor(hi/g): the highest grid point in [lo, hi], in units of g. */
  readonly hiUnits: bigint;
  /** ε for the count: epsilon / 2. */
  readonly countEpsilon: number;
  /** ε for the normalized sum: epsilon / 2. */
  readonly sumEpsilon: number;
  /** Discrete Laplace scale of the count: L0·Linf / countEpsilon. */
  readonly countScale: Rational;
  /** Discrete Laplace scale of the normalized sum, in half-units: L0·Linf·(hiUnits − loUnits) / sumEpsilon. */
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
): MeanMechanism {
  checkEpsilon(epsilon);
  const b = checkBounds(bounds);
  checkFinite(lo, 'lo');
  checkFinite(hi, 'hi');
  if (!(lo < hi)) throw new DpParameterError(`lo must be < hi, got lo = ${lo}, hi = ${hi}`);
  const granularity = chooseGranularity(lo, hi);
  const g = rationalFromNumber(granularity);
  const loR = rationalFromNumber(lo);
  const hiR = rationalFromNumber(hi);
  // lo/g and hi/g exactly: (num/den)/(gnum/gden) = num·gden / (den·gnum).
  const loUnits = ceilDiv(loR.num * g.den, loR.den * g.num);
  const hiUnits = floorDiv(hiR.num * g.den, hiR.den * g.num);

  const countEpsilon = epsilon / 2;
  const sumEpsilon = epsilon / 2;
  checkEpsilon(countEpsilon, 'epsilon / 2');
  const l0linf = BigInt(b.maxPartitionsContributed) * BigInt(b.maxContributionsPerPartition);
  const countScale = scaleFor(l0linf, countEpsilon);
  const sumScale = scaleFor(l0linf * (hiUnits - loUnits), sumEpsilon);
  return Object.freeze({
    kind: 'mean',
    epsilon,
    bounds: b,
    lo,
    hi,
    granularity,
    loUnits,
    hiUnits,
    countEpsilon,
    sumEpsilon,
    countScale,
    sumScale,
    countHalfWidth: discreteLaplaceHalfWidth(rationalToNumber(countScale), 0.025),
    sumHalfWidth: discreteLaplaceHalfWidth(rationalToNumber(sumScale), 0.025),
  });
}

/** Exact Δ₁/ε for an integer sensitivity (may exceed 2^53, so not via {@link discreteLaplaceScale}). */
function scaleFor(l1Sensitivity: bigint, epsilon: number): Rational {
  if (l1Sensitivity <= BigInt(Number.MAX_SAFE_INTEGER))
    return discreteLaplaceScale(Number(l1Sensitivity), epsilon);
  const e = rationalFromNumber(epsilon);
  return rational(l1Sensitivity * e.den, e.num);
}

/**
 * The grid point of a value, in units of g: round(clamp(x, lo, hi)/g), half-way cases up, kept in
 * [loUnits, hiUnits]. Computed as ⌊clamp(x)/g + 1/2⌋ in doubles, the very operations the SQL engine
 * performs, so both agree bit for bit (x/g is exact: g is a power of two).
 *
 * @example
 * ```ts
 * const m = meanMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }, 0, 600_000);
 * quantize(m, 12.3);      // 25n (12.5 = 25 · 0.5 is the nearest grid point)
 * quantize(m, 1_000_000); // 1_200_000n (clamped to hi)
 * ```
 */
export function quantize(m: MeanMechanism, x: number): bigint {
  if (typeof x !== 'number' || Number.isNaN(x)) {
    throw new DpParameterError(`value to quantize must be a number, got ${String(x)}`);
  }
  const clamped = Math.max(m.lo, Math.min(m.hi, x));
  const q = BigInt(Math.floor(clamped / m.granularity + 0.5));
  return q < m.loUnits ? m.loUnits : q > m.hiUnits ? m.hiUnits : q;
}

/**
 * A contribution's normalized value in half-units: 2·q(x) − (loUnits + hiUnits), an integer with
 * absolute value at most hiUnits − loUnits. Per-partition sums of these are what
 * {@link releaseMean} adds noise to.
 *
 * @example
 * ```ts
 * const m = meanMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }, 0, 600_000);
 * normalizedValue(m, 0);       // -1_200_000n
 * normalizedValue(m, 300_000); // 0n
 * ```
 */
export function normalizedValue(m: MeanMechanism, x: number): bigint {
  return 2n * quantize(m, x) - (m.loUnits + m.hiUnits);
}

/**
 * Releases one partition's mean from its bounded aggregate (row count and sum of
 * {@link normalizedValue}s). noisyCount = count + DL(countScale) and
 * noisySum = normalizedSum + DL(sumScale) are exact integers; everything after is post-processing:
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
): { value: number; ci95: [number, number] } {
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
  const noisyCount = trueCount + sampleDiscreteLaplace(m.countScale, rng);
  const noisySum = normalizedSum + sampleDiscreteLaplace(m.sumScale, rng);
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
  return { value: meanOf(sum, count), ci95: [Math.min(...corners), Math.max(...corners)] };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}
