import { discreteGaussianHalfWidth, sampleDiscreteGaussian, sigma2ForRhoExact } from './discrete-gaussian.js';
import { DpParameterError, checkEpsilon } from './errors.js';
import { discreteLaplaceHalfWidth, discreteLaplaceScale } from './laplace-calibration.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import type { RandomSource } from './random-source.js';
import { rationalToNumber, type Rational } from './rational.js';

/**
 * Continual release of a distinct count under insertions and deletions (turnstile), for a
 * bounded flippancy: Jain, Kalemaj, Raskhodnikova, Sivakumar, Smith, "Counting Distinct
 * Elements in the Turnstile Model with Differential Privacy under Continual Observation",
 * NeurIPS 2023, arXiv 2306.06723 (the known-w mechanism; the paper's headline result adapts to
 * an unknown w, which we do not implement: w is a public contribution bound, like L0/Linf).
 *
 * - A user's presence indicator e_u(t) (active that day, or in the rolling window) starts at
 *   e_u(0) = 0; its *flippancy* is the number of steps t with e_u(t) ≠ e_u(t − 1).
 * - Truncation: a user's first w flips are kept; at the (w + 1)-th the user is frozen, its
 *   indicator stays where it was, and later changes are ignored. This depends on that user's
 *   data alone, so it bounds every user's influence on every input, not just on typical ones.
 *   Use an even w: a user frozen after an even number of flips is frozen absent; after an odd
 *   number, present, and counted on every later step (measured on GA360: w = 1 inflates DAU
 *   by two orders of magnitude). The config only accepts even bounds.
 * - The difference stream z(t) = D′(t) − D′(t − 1) of the truncated count D′ gets a binary-tree
 *   (dyadic) mechanism (Dwork, Naor, Pitassi, Rothblum 2010; Chan, Shi, Song 2011): a noisy sum
 *   per dyadic interval, and D̂(t) = the sum of the ≤ ⌊log₂ T⌋ + 1 noisy nodes covering [1, t].
 * - Sensitivity: a user's kept flips alternate +1, −1, +1, … so a node's sum moves by at most 1,
 *   and at most min(w, nodes on the level) nodes per level move. Hence
 *   Δ₁ = Δ₂² = Σ_levels min(w, ⌊T / 2^ℓ⌋) ≤ w · (⌊log₂ T⌋ + 1).
 * - Error: D̂(t) − D′(t) is a sum of popcount(t) node noises, so it grows with √w · polylog T,
 *   instead of linearly in T for T separate releases under the same total budget. When no user
 *   has more than w flips, D′ = D (no truncation bias).
 *
 * @example
 * ```ts
 * const m = continualTreeMechanism(31, 4, { epsilon: 1 });
 * const flips = users.map((days) => presenceFlips(days, 31, 1));
 * const { z } = differenceStream(flips, 31, 4);
 * const { estimates, halfWidths } = releaseContinual(m, z, secureRandom());
 * ```
 */
export interface ContinualMechanism {
  readonly kind: 'continual_tree';
  /** T: number of steps (days) released. */
  readonly steps: number;
  /** w: flips kept per user. */
  readonly maxFlippancy: number;
  /** ⌊log₂ T⌋ + 1 levels of dyadic nodes. */
  readonly levels: number;
  /** Σ_levels min(w, ⌊T / 2^ℓ⌋): both the L1 and the squared L2 sensitivity of the node vector. */
  readonly sensitivity: number;
  readonly noise: ContinualNoise;
}

export type ContinualNoise =
  | {
      readonly kind: 'discrete_laplace';
      readonly epsilon: number;
      /** Scale of every node's noise: sensitivity / ε. */
      readonly scale: Rational;
    }
  | {
      readonly kind: 'discrete_gaussian';
      readonly rho: number;
      /** σ² of every node's noise: Δ₂² / (2ρ). */
      readonly sigma2: Rational;
    };

export interface ContinualRelease {
  /** D̂(t) for t = 1..T (index t − 1). */
  readonly estimates: readonly number[];
  /** Half-width of a ≥ 95% interval around each estimate (covers the truncated count D′(t)). */
  readonly halfWidths: readonly number[];
}

/** How the intervals of {@link releaseContinual} are computed, for the release's `interval_method`. */
export function continualIntervalMethod(noise: ContinualNoise): string {
  return noise.kind === 'discrete_laplace'
    ? 'the estimate of day t sums the k = popcount(t) noisy tree nodes covering days 1..t; each node lies within its exact discrete Laplace (1 − 0.05/k) interval (Bonferroni over the k nodes), so coverage is at least 95%'
    : 'the estimate of day t sums the k = popcount(t) noisy tree nodes covering days 1..t; for k = 1 the exact discrete Gaussian 95% interval, for k > 1 the sub-Gaussian tail bound σ·√(2k·ln 40) (CKS 2020: the discrete Gaussian is σ-sub-Gaussian), so coverage is at least 95%';
}

/** ⌊log₂ T⌋ + 1: the levels of dyadic intervals that fit in [1, T]. */
export function treeLevels(steps: number): number {
  checkSteps(steps);
  return Math.floor(Math.log2(steps)) + 1;
}

/** Σ_{ℓ=0}^{⌊log₂ T⌋} min(w, ⌊T / 2^ℓ⌋): L1 sensitivity and squared L2 sensitivity of the tree's node vector. */
export function continualSensitivity(steps: number, maxFlippancy: number): number {
  checkSteps(steps);
  checkFlippancy(maxFlippancy);
  let total = 0;
  for (let l = 0; l < treeLevels(steps); l++) total += Math.min(maxFlippancy, Math.floor(steps / 2 ** l));
  return total;
}

/**
 * The tree mechanism for T steps and flippancy bound w. With `{ epsilon }`: ε-DP with discrete
 * Laplace node noise of scale Δ₁/ε (CKS 2020 Thm. 3 applied to the node vector). With `{ rho }`:
 * ρ-zCDP with discrete Gaussian node noise of σ² = Δ₂²/(2ρ) (CKS 2020 Thm. 4).
 */
export function continualTreeMechanism(
  steps: number,
  maxFlippancy: number,
  budget: { readonly epsilon: number } | { readonly rho: number },
): ContinualMechanism {
  const sensitivity = continualSensitivity(steps, maxFlippancy);
  let noise: ContinualNoise;
  if ('epsilon' in budget) {
    checkEpsilon(budget.epsilon);
    noise = {
      kind: 'discrete_laplace',
      epsilon: budget.epsilon,
      scale: discreteLaplaceScale(sensitivity, budget.epsilon),
    };
  } else {
    // Δ₂² = sensitivity exactly (every node moves by at most 1).
    noise = {
      kind: 'discrete_gaussian',
      rho: budget.rho,
      sigma2: sigma2ForRhoExact({ num: BigInt(sensitivity), den: 1n }, budget.rho),
    };
  }
  return Object.freeze({
    kind: 'continual_tree',
    steps,
    maxFlippancy,
    levels: treeLevels(steps),
    sensitivity,
    noise: Object.freeze(noise),
  });
}

/**
 * The steps t in 1..T where a user's presence indicator changes, for a user active at the given
 * steps (any integers; steps ≤ 0 are before the period and matter for a rolling window). The
 * user is present at t when active at some step in [t − window + 1, t]: `window` 1 is DAU,
 * 30 a rolling 30-day MAU. The indicator starts absent (e(0) = 0), so presence at t = 1 is a flip.
 *
 * @example
 * ```ts
 * presenceFlips([2, 3, 7], 10, 1); // [2, 4, 7, 8]
 * presenceFlips([2, 3, 7], 10, 5); // [2]: present on days 2..11, so it never leaves within T = 10
 * ```
 */
export function presenceFlips(activeSteps: readonly number[], steps: number, window: number): number[] {
  checkSteps(steps);
  if (!Number.isSafeInteger(window) || window < 1) {
    throw new DpParameterError(`window must be a positive integer, got ${String(window)}`);
  }
  const sorted = [...new Set(activeSteps)].sort((a, b) => a - b);
  const flips: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start + window - 1;
    i++;
    while (i < sorted.length && sorted[i]! <= end + 1) {
      end = sorted[i]! + window - 1;
      i++;
    }
    // present on [start, end] ∩ [1, T]
    if (end < 1 || start > steps) continue;
    flips.push(Math.max(start, 1));
    if (end + 1 <= steps) flips.push(end + 1);
  }
  return flips;
}

/**
 * The difference stream z(t) of the truncated count D′: each user's first w flips, with signs
 * +1, −1, +1, … (a user is absent before its first flip). `truncatedUsers` counts users frozen
 * by the bound: a private tally (it is exact), for run reports only, never for Gold.
 */
export function differenceStream(
  flipsByUser: Iterable<readonly number[]>,
  steps: number,
  maxFlippancy: number,
): { readonly z: Int32Array; readonly truncatedUsers: number } {
  checkSteps(steps);
  checkFlippancy(maxFlippancy);
  const z = new Int32Array(steps);
  let truncatedUsers = 0;
  for (const flips of flipsByUser) {
    if (flips.length > maxFlippancy) truncatedUsers++;
    const kept = Math.min(flips.length, maxFlippancy);
    let previous = 0;
    for (let k = 0; k < kept; k++) {
      const t = flips[k]!;
      if (!Number.isSafeInteger(t) || t < 1 || t > steps || t <= previous) {
        throw new DpParameterError(`flip steps must be increasing integers in [1, ${steps}], got ${t}`);
      }
      previous = t;
      z[t - 1]! += k % 2 === 0 ? 1 : -1;
    }
  }
  return { z, truncatedUsers };
}

/**
 * Releases D̂(t) for every t = 1..T: the exact dyadic-node sums of `z`, each plus fresh noise
 * drawn once, and each prefix summed from its binary decomposition. All noise comes from `rng`.
 */
export function releaseContinual(
  mechanism: ContinualMechanism,
  z: Int32Array,
  rng: RandomSource,
): ContinualRelease {
  const T = mechanism.steps;
  if (z.length !== T) throw new DpParameterError(`difference stream has ${z.length} steps, mechanism ${T}`);
  // nodes[l][j]: noisy sum of z over [j·2^l + 1, (j + 1)·2^l] (0-based j)
  const nodes: bigint[][] = [];
  for (let l = 0; l < mechanism.levels; l++) {
    const width = 2 ** l;
    const level: bigint[] = [];
    for (let j = 0; (j + 1) * width <= T; j++) {
      let sum = 0;
      for (let t = j * width; t < (j + 1) * width; t++) sum += z[t]!;
      level.push(BigInt(sum) + sampleNodeNoise(mechanism.noise, rng));
    }
    nodes.push(level);
  }
  const halfWidthFor = new Map<number, number>();
  const estimates: number[] = [];
  const halfWidths: number[] = [];
  for (let t = 1; t <= T; t++) {
    let total = 0n;
    let covered = 0;
    let k = 0;
    for (let l = mechanism.levels - 1; l >= 0; l--) {
      const width = 2 ** l;
      if (Math.floor(t / width) % 2 === 1) {
        total += nodes[l]![covered / width]!;
        covered += width;
        k++;
      }
    }
    estimates.push(Number(total));
    let h = halfWidthFor.get(k);
    if (h === undefined) {
      h = prefixHalfWidth(mechanism.noise, k);
      halfWidthFor.set(k, h);
    }
    halfWidths.push(h);
  }
  return { estimates, halfWidths };
}

function sampleNodeNoise(noise: ContinualNoise, rng: RandomSource): bigint {
  return noise.kind === 'discrete_laplace'
    ? sampleDiscreteLaplace(noise.scale, rng)
    : sampleDiscreteGaussian(noise.sigma2, rng);
}

/** Half-width of a ≥ 95% interval for the sum of k node noises (see {@link continualIntervalMethod}). */
function prefixHalfWidth(noise: ContinualNoise, k: number): number {
  if (noise.kind === 'discrete_laplace') {
    return k * discreteLaplaceHalfWidth(rationalToNumber(noise.scale), 0.05 / k);
  }
  if (k === 1) return Number(discreteGaussianHalfWidth(noise.sigma2));
  return Math.ceil(Math.sqrt(rationalToNumber(noise.sigma2) * 2 * k * Math.log(40)));
}

/** The noise scale of one node, as releases state it: the discrete Laplace scale, or the discrete Gaussian σ. */
export function continualNodeScale(noise: ContinualNoise): number {
  return noise.kind === 'discrete_laplace'
    ? rationalToNumber(noise.scale)
    : Math.sqrt(rationalToNumber(noise.sigma2));
}

function checkSteps(steps: number): void {
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new DpParameterError(`steps must be a positive integer, got ${String(steps)}`);
  }
}

function checkFlippancy(w: number): void {
  if (!Number.isSafeInteger(w) || w < 1) {
    throw new DpParameterError(`maxFlippancy must be a positive integer, got ${String(w)}`);
  }
}
