import type { ContributionBounds } from './contribution-bounds.js';
import { checkDelta, rhoForEpsilonDelta, splitBudget } from './accounting.js';
import { discreteGaussianHalfWidth, sampleDiscreteGaussian, sigma2ForRhoExact } from './discrete-gaussian.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import { checkEpsilon, DpParameterError } from './errors.js';
import { discreteLaplaceHalfWidth } from './laplace-calibration.js';
import type { RandomSource } from './random-source.js';
import { rational, rationalFromNumber, rationalToNumber, type Rational } from './rational.js';

/** The noise a mechanism adds: discrete Laplace (pure ε-DP) or discrete Gaussian (ρ-zCDP). */
export type NoiseKind = 'laplace' | 'gaussian';

/**
 * Exact integer noise for one integer-valued part of a statistic, with the sensitivities it was
 * calibrated for (in the part's integer units) and the privacy it gives.
 * - laplace: scale = Δ₁/ε, ε-DP (CKS 2020 Thm. 3 discrete Laplace privacy map);
 * - gaussian: σ² = Δ₂²/(2ρ) rounded up, ρ-zCDP (CKS 2020 Thm. 4).
 */
export type Noise =
  | {
      readonly kind: 'laplace';
      readonly epsilon: number;
      readonly l1Sensitivity: bigint;
      readonly scale: Rational;
    }
  | {
      readonly kind: 'gaussian';
      readonly rho: number;
      readonly l2SensitivitySquared: bigint;
      readonly sigma2: Rational;
    };

/** Discrete Laplace noise for an integer statistic of L1 sensitivity Δ₁: scale Δ₁/ε exactly. */
export function laplaceNoise(l1Sensitivity: bigint, epsilon: number): Noise {
  checkEpsilon(epsilon);
  if (l1Sensitivity < 0n) throw new DpParameterError(`l1Sensitivity must be >= 0, got ${l1Sensitivity}`);
  const e = rationalFromNumber(epsilon);
  return Object.freeze({
    kind: 'laplace',
    epsilon,
    l1Sensitivity,
    scale: rational(l1Sensitivity * e.den, e.num),
  });
}

/** Discrete Gaussian noise for an integer statistic of squared L2 sensitivity Δ₂²: σ² = Δ₂²/(2ρ), rounded up. */
export function gaussianNoise(l2SensitivitySquared: bigint, rho: number): Noise {
  if (l2SensitivitySquared < 0n) {
    throw new DpParameterError(`l2SensitivitySquared must be >= 0, got ${l2SensitivitySquared}`);
  }
  return Object.freeze({
    kind: 'gaussian',
    rho,
    l2SensitivitySquared,
    sigma2: sigma2ForRhoExact({ num: l2SensitivitySquared, den: 1n }, rho),
  });
}

/** One exact noise draw. */
export function sampleNoise(noise: Noise, rng: RandomSource): bigint {
  return noise.kind === 'laplace'
    ? sampleDiscreteLaplace(noise.scale, rng)
    : sampleDiscreteGaussian(noise.sigma2, rng);
}

/**
 * The smallest integer h with P(|noise| <= h) >= confidence, from the exact distribution (the
 * discrete Laplace tail in closed form; the discrete Gaussian PMF summed).
 */
export function noiseHalfWidth(noise: Noise, confidence = 0.95): number {
  if (noise.kind === 'laplace')
    return discreteLaplaceHalfWidth(rationalToNumber(noise.scale), 1 - confidence);
  return Number(discreteGaussianHalfWidth(noise.sigma2, confidence));
}

/** The noise's standard deviation: √(2a)/(1 − a) for the discrete Laplace (a = e^{−1/scale}), ≤ σ for the discrete Gaussian (σ reported). */
export function noiseStddev(noise: Noise): number {
  if (noise.kind === 'laplace') {
    const s = rationalToNumber(noise.scale);
    if (s === 0) return 0;
    const a = Math.exp(-1 / s);
    return Math.sqrt(2 * a) / -Math.expm1(-1 / s);
  }
  return Math.sqrt(rationalToNumber(noise.sigma2));
}

/**
 * E|noise|: 2a/(1 − a²) for the discrete Laplace; for the discrete Gaussian the exact PMF sum
 * when σ <= 2000, else σ·√(2/π) (the continuous value, relative difference < 1e-12 there).
 */
export function noiseExpectedAbs(noise: Noise): number {
  if (noise.kind === 'laplace') {
    const s = rationalToNumber(noise.scale);
    if (s === 0) return 0;
    const a = Math.exp(-1 / s);
    return (2 * a) / -Math.expm1(-2 / s);
  }
  const s2 = rationalToNumber(noise.sigma2);
  if (s2 === 0) return 0;
  const sigma = Math.sqrt(s2);
  if (sigma > 2000) return sigma * Math.sqrt(2 / Math.PI);
  const m = Math.ceil(40 * sigma) + 10;
  let z = 1;
  let abs = 0;
  for (let x = 1; x <= m; x++) {
    const w = Math.exp(-(x * x) / (2 * s2));
    z += 2 * w;
    abs += 2 * x * w;
  }
  return abs / z;
}

/** A one-line human description, e.g. "discrete Laplace, scale 2" or "discrete Gaussian, σ = 3.2". */
export function describeNoise(noise: Noise): string {
  return noise.kind === 'laplace'
    ? `discrete Laplace, scale ${rationalToNumber(noise.scale).toPrecision(6)}`
    : `discrete Gaussian, σ = ${Math.sqrt(rationalToNumber(noise.sigma2)).toPrecision(6)}`;
}

/** The budget a mechanism is given: ε, δ (needed > 0 for Gaussian noise) and the noise kind. */
export interface MechanismBudget {
  readonly epsilon: number;
  /** δ > 0 is required with Gaussian noise; ignored (spent as 0) with Laplace noise. */
  readonly delta?: number;
  /** Default 'laplace'. */
  readonly noise?: NoiseKind;
}

/** A budget resolved for a mechanism: what it spends in total. */
export interface ResolvedBudget {
  readonly noise: NoiseKind;
  readonly epsilon: number;
  /** 0 for Laplace noise. */
  readonly delta: number;
  /** Gaussian: the ρ with rhoToEpsilon(ρ, δ) <= ε that the parts share; Laplace: ε²/2 (for zCDP accounting). */
  readonly rho: number;
}

/** One integer-valued noisy part of a statistic, with its sensitivities in its own integer units. */
export interface PartSensitivity {
  readonly name: string;
  readonly l1Sensitivity: bigint;
  readonly l2SensitivitySquared: bigint;
  /** Share of the statistic's budget (relative to the other parts). Default 1. */
  readonly weight?: number;
}

/**
 * Splits a mechanism's budget across its noisy parts and calibrates each. Laplace: ε split by the
 * weights (basic composition: the parts together are ε-DP). Gaussian: the total ρ is the largest
 * with rhoToEpsilon(ρ, δ) <= ε (tight CKS 2020 conversion), split by the weights (zCDP
 * composition adds ρ), so the parts together are ρ-zCDP and hence (ε, δ)-DP. Splits use
 * {@link splitBudget}, so the parts never spend more than the total.
 */
export function calibrateParts(
  budget: MechanismBudget,
  parts: readonly PartSensitivity[],
): { budget: ResolvedBudget; noises: Record<string, Noise> } {
  const resolved = resolveBudget(budget);
  const weights: Record<string, number> = {};
  for (const p of parts) weights[p.name] = p.weight ?? 1;
  const noises: Record<string, Noise> = {};
  if (resolved.noise === 'laplace') {
    const eps = splitBudget(resolved.epsilon, weights);
    for (const p of parts) noises[p.name] = laplaceNoise(p.l1Sensitivity, eps[p.name]!);
  } else {
    const rho = splitBudget(resolved.rho, weights);
    for (const p of parts) noises[p.name] = gaussianNoise(p.l2SensitivitySquared, rho[p.name]!);
  }
  return { budget: resolved, noises: Object.freeze(noises) };
}

/** Validates a budget and, for Gaussian noise, finds its ρ. */
export function resolveBudget(budget: MechanismBudget): ResolvedBudget {
  checkEpsilon(budget.epsilon);
  const noise = budget.noise ?? 'laplace';
  if (noise === 'laplace') {
    return Object.freeze({
      noise,
      epsilon: budget.epsilon,
      delta: 0,
      rho: (budget.epsilon * budget.epsilon) / 2,
    });
  }
  if (noise !== 'gaussian') {
    throw new DpParameterError(`noise must be "laplace" or "gaussian", got ${String(noise)}`);
  }
  if (budget.delta === undefined || budget.delta === 0) {
    throw new DpParameterError(
      'Gaussian noise needs delta > 0 (e.g. delta: 1e-6); set delta or use noise "laplace"',
    );
  }
  checkDelta(budget.delta);
  return Object.freeze({
    noise,
    epsilon: budget.epsilon,
    delta: budget.delta,
    rho: rhoForEpsilonDelta(budget.epsilon, budget.delta),
  });
}

/** The parameters every statistic takes: its budget and noise kind, and the contribution bounds. */
export interface StatisticParams extends MechanismBudget {
  readonly bounds: ContributionBounds;
}

/** Parameters of a statistic over values clamped to [lo, hi]. */
export interface ValueStatisticParams extends StatisticParams {
  readonly lo: number;
  readonly hi: number;
}
