import {
  checkBounds,
  countL1Sensitivity,
  type ContributionBounds,
  rowSensitivity,
} from './contribution-bounds.js';
import { DpParameterError } from './errors.js';
import { calibrateParts, type Noise, noiseHalfWidth, type NoiseKind, sampleNoise } from './noise.js';
import type { RandomSource } from './random-source.js';
import { rationalFromNumber, rationalToNumber, type Rational } from './rational.js';

/** Options of a mechanism: the noise kind (default discrete Laplace) and δ (needed for Gaussian noise). */
export interface NoiseOptions {
  readonly noise?: NoiseKind;
  /** δ > 0, required with `noise: 'gaussian'`; ignored with Laplace noise (which spends δ = 0). */
  readonly delta?: number;
}

/** The interval method every single-noise release states. */
export const EXACT_INTERVAL =
  'exact: value ± h, the smallest h with P(|noise| > h) <= 5% under the exact noise distribution';

/**
 * A per-partition COUNT of bounded contributions with exact integer noise, for the user-level
 * neighbour relation given the contribution bounds: discrete Laplace (ε-DP, δ = 0, the default)
 * or discrete Gaussian (ρ-zCDP with the largest ρ such that rhoToEpsilon(ρ, δ) <= ε, hence
 * (ε, δ)-DP). Immutable, resolved entirely before any data is read.
 */
export interface CountMechanism {
  readonly kind: 'count';
  readonly epsilon: number;
  /** 0 with Laplace noise. */
  readonly delta: number;
  /** ρ-zCDP spent: the Gaussian ρ, or ε²/2 for Laplace noise. */
  readonly rho: number;
  readonly bounds: ContributionBounds;
  /** L0 · Linf. */
  readonly l1Sensitivity: number;
  /** The exact noise (kind, sensitivities, scale or σ²). */
  readonly noise: Noise;
  /** Laplace: the exact discrete Laplace scale l1Sensitivity / epsilon. Gaussian: σ (rounded up to a double), for reports. */
  readonly scale: Rational;
  /** `scale` as the nearest double, for reports. */
  readonly scaleNumber: number;
  /** Smallest h with P(|noise| > h) <= 5%: `value ± h` covers the bounded count w.p. >= 95%. */
  readonly halfWidth95: number;
}

/**
 * Calibrates a COUNT: L1 sensitivity L0·Linf (PipelineDP `compute_l1_sensitivity`), discrete
 * Laplace scale Δ₁/ε (CKS 2020; OpenDP discrete Laplace privacy map ε = Δ₁/scale). With
 * `{ noise: 'gaussian', delta }`: L2 sensitivity √L0·Linf and discrete Gaussian σ² = Δ₂²/(2ρ),
 * ρ the largest with rhoToEpsilon(ρ, δ) <= ε.
 *
 * @throws {DpParameterError} if epsilon is not finite and > 0, a bound is not a positive integer,
 *   or Gaussian noise is asked for without a delta in (0, 1).
 * @example
 * ```ts
 * const m = countMechanism(0.5, { maxPartitionsContributed: 1, maxContributionsPerPartition: 2 });
 * // m.l1Sensitivity === 2, m.scale is 4/1, m.halfWidth95 === 12
 * const g = countMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }, { noise: 'gaussian', delta: 1e-6 });
 * // g.noise.kind === 'gaussian', g.delta === 1e-6
 * ```
 */
export function countMechanism(
  epsilon: number,
  bounds: ContributionBounds,
  options: NoiseOptions = {},
): CountMechanism {
  const b = checkBounds(bounds);
  const l1Sensitivity = countL1Sensitivity(b);
  // L2: √L0·Linf, so Δ₂² = L0·Linf² (PipelineDP compute_l2_sensitivity), less with a per-user total.
  const rows = rowSensitivity(b);
  const { budget, noises } = calibrateParts({ epsilon, delta: options.delta, noise: options.noise }, [
    { name: 'count', l1Sensitivity: rows.l1, l2SensitivitySquared: rows.l2Squared },
  ]);
  const noise = noises['count']!;
  const scale = reportedScale(noise);
  return Object.freeze({
    kind: 'count',
    epsilon,
    delta: budget.delta,
    rho: budget.rho,
    bounds: b,
    l1Sensitivity,
    noise,
    scale,
    scaleNumber: rationalToNumber(scale),
    halfWidth95: noiseHalfWidth(noise, 0.95),
  });
}

/** The Laplace scale itself, or σ rounded up to a double (Gaussian), for reports. */
export function reportedScale(noise: Noise): Rational {
  if (noise.kind === 'laplace') return noise.scale;
  const sigma = Math.sqrt(rationalToNumber(noise.sigma2));
  return rationalFromNumber(sigma * (1 + Number.EPSILON));
}

/**
 * Releases one partition's count: the true (bounded) count plus the mechanism's exact noise, as
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
): { value: number; ci95: [number, number]; intervalMethod: string } {
  return releaseNoisyCount('trueCount', trueCount, m, rng);
}

/**
 * A non-negative integer count plus one draw of `m.noise`, with the exact 95% interval
 * `value ± m.halfWidth95`. Shared by COUNT and PRIVACY_ID_COUNT; `name` names the argument in errors.
 */
export function releaseNoisyCount(
  name: string,
  count: bigint,
  m: { readonly noise: Noise; readonly halfWidth95: number },
  rng: RandomSource,
): { value: number; ci95: [number, number]; intervalMethod: string } {
  if (typeof count !== 'bigint' || count < 0n) {
    throw new DpParameterError(`${name} must be a bigint >= 0, got ${String(count)}`);
  }
  const value = Number(count + sampleNoise(m.noise, rng));
  return { value, ci95: [value - m.halfWidth95, value + m.halfWidth95], intervalMethod: EXACT_INTERVAL };
}
