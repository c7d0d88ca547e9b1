import { checkBounds, countL1Sensitivity, type ContributionBounds } from './contribution-bounds.js';
import { checkEpsilon, DpParameterError } from './errors.js';
import { discreteLaplaceHalfWidth, discreteLaplaceScale } from './laplace-calibration.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import type { RandomSource } from './random-source.js';
import { rationalToNumber, type Rational } from './rational.js';

/**
 * A per-partition COUNT of bounded contributions with discrete Laplace noise: ε-DP (δ = 0) for
 * the user-level neighbour relation, given the contribution bounds. Immutable, resolved entirely
 * before any data is read.
 */
export interface CountMechanism {
  readonly kind: 'count';
  readonly epsilon: number;
  readonly bounds: ContributionBounds;
  /** L0 · Linf. */
  readonly l1Sensitivity: number;
  /** Exact discrete Laplace scale l1Sensitivity / epsilon (the sampler's input). */
  readonly scale: Rational;
  /** `scale` as the nearest double, for reports. */
  readonly scaleNumber: number;
  /** Smallest h with P(|noise| > h) <= 5%: `value ± h` covers the bounded count w.p. >= 95%. */
  readonly halfWidth95: number;
}

/**
 * Calibrates a COUNT: L1 sensitivity L0·Linf (PipelineDP `compute_l1_sensitivity`), discrete
 * Laplace scale Δ₁/ε (CKS 2020; OpenDP discrete Laplace privacy map ε = Δ₁/scale).
 *
 * @throws {DpParameterError} if epsilon is not finite and > 0 or a bound is not a positive integer.
 * @example
 * ```ts
 * const m = countMechanism(0.5, { maxPartitionsContributed: 1, maxContributionsPerPartition: 2 });
 * // m.l1Sensitivity === 2, m.scale is 4/1, m.halfWidth95 === 12
 * ```
 */
export function countMechanism(epsilon: number, bounds: ContributionBounds): CountMechanism {
  checkEpsilon(epsilon);
  const b = checkBounds(bounds);
  const l1Sensitivity = countL1Sensitivity(b);
  const scale = discreteLaplaceScale(l1Sensitivity, epsilon);
  const scaleNumber = rationalToNumber(scale);
  return Object.freeze({
    kind: 'count',
    epsilon,
    bounds: b,
    l1Sensitivity,
    scale,
    scaleNumber,
    halfWidth95: discreteLaplaceHalfWidth(scaleNumber, 0.05),
  });
}

/**
 * Releases one partition's count: the true (bounded) count plus exact discrete Laplace noise, as
 * an integer. Not clamped at 0, so it is unbiased; `ci95` is `value ± halfWidth95` and covers the
 * true count with probability >= 95%.
 *
 * @example
 * ```ts
 * const m = countMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 });
 * const { value, ci95 } = releaseCount(m, 1234n, secureRandom()); // e.g. 1235, [1232, 1238]
 * ```
 */
export function releaseCount(
  m: CountMechanism,
  trueCount: bigint,
  rng: RandomSource,
): { value: number; ci95: [number, number] } {
  if (typeof trueCount !== 'bigint' || trueCount < 0n) {
    throw new DpParameterError(`trueCount must be a bigint >= 0, got ${String(trueCount)}`);
  }
  const value = Number(trueCount + sampleDiscreteLaplace(m.scale, rng));
  return { value, ci95: [value - m.halfWidth95, value + m.halfWidth95] };
}
