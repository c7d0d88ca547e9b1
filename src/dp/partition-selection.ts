import { checkDelta } from './accounting.js';
import { sampleBernoulliRational } from './bernoulli.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import { checkEpsilon, checkPositiveInteger, DpParameterError } from './errors.js';
import { discreteLaplaceScale } from './laplace-calibration.js';
import type { RandomSource } from './random-source.js';
import { rationalFromNumber, rationalToNumber, type Rational } from './rational.js';

/** How private partition selection decides to keep a partition. */
export type PartitionSelectionStrategy = 'truncated_geometric' | 'laplace_threshold';

/**
 * Private partition selection: which partition keys (not known in advance, e.g. countries seen in
 * the data) may appear in a release at all. A key is kept at random with a probability that
 * depends only on its number of distinct users n (after contribution bounding, each user in at
 * most L0 partitions), so that the set of released keys is (ε, δ)-DP: a key only one user has is
 * kept with probability at most δ' (the per-partition δ).
 *
 * Per-partition budget (Google partition-selection.h, used by PipelineDP): ε' = ε/L0 and
 * δ' = 1 − (1 − δ)^(1/L0), computed stably as −expm1(log1p(−δ)/L0).
 */
export interface PartitionSelectionMechanism {
  readonly kind: 'partition_selection';
  readonly strategy: PartitionSelectionStrategy;
  readonly epsilon: number;
  readonly delta: number;
  readonly maxPartitionsContributed: number;
  /** ε' = ε / L0. */
  readonly perPartitionEpsilon: number;
  /** δ' = 1 − (1 − δ)^(1/L0). */
  readonly perPartitionDelta: number;
  /** Truncated geometric: keep probability rises geometrically up to n = crossover1 … */
  readonly crossover1?: number;
  /** … and reaches 1 above n = crossover2. */
  readonly crossover2?: number;
  /** Laplace thresholding: discrete Laplace scale L0/ε of the noisy user count. */
  readonly scale?: Rational;
  /** Laplace thresholding: keep iff n + noise >= threshold (an integer). */
  readonly threshold?: number;
  /** The exact probability (as a double) that a partition with n users is kept. */
  keepProbability(n: number): number;
}

/**
 * Resolves a partition-selection mechanism.
 *
 * - `truncated_geometric` (default, as PipelineDP): the optimal keep probability p(n) of
 *   Desfontaines, Voss, Gipson, Mandayam, "Differentially private partition selection", PoPETs
 *   2022, Thm. 1 (formulas of Google `NearTruncatedGeometricPartitionSelection`):
 *   p(n) = δ'·(e^{nε'} − 1)/(e^{ε'} − 1) up to crossover1, then
 *   p_c − (1 − p_c + δ'/(e^{ε'} − 1))·(e^{−mε'} − 1) with m = n − crossover1 up to crossover2,
 *   then 1. It draws no noise value; the decision is an exact Bernoulli of the double p(n).
 * - `laplace_threshold`: noisy user count n + Z with Z ~ discrete Laplace(L0/ε) (exact), kept
 *   iff n + Z >= T with T = 1 + k and k the smallest integer with P(Z >= k) = a^k/(1 + a) <= δ'
 *   (a = e^{−ε/L0}), so a partition of one user is kept with probability at most δ'. The
 *   continuous-Laplace threshold 1 − b·ln(2δ') of Google's library is within one of T − 1.
 *
 * @throws {DpParameterError} on ε <= 0, δ outside (0, 1) or L0 not a positive integer.
 * @example
 * ```ts
 * const m = partitionSelection({ epsilon: Math.log(3), delta: 1e-5, maxPartitionsContributed: 1 });
 * m.keepProbability(1);  // 1e-5
 * m.keepProbability(11); // ≈ 0.765
 * selectPartition(m, 15n, secureRandom()); // true with probability m.keepProbability(15)
 * ```
 */
export function partitionSelection(params: {
  readonly epsilon: number;
  readonly delta: number;
  readonly maxPartitionsContributed: number;
  readonly strategy?: PartitionSelectionStrategy;
}): PartitionSelectionMechanism {
  const { epsilon, delta, maxPartitionsContributed: l0 } = params;
  const strategy = params.strategy ?? 'truncated_geometric';
  checkEpsilon(epsilon);
  checkDelta(delta);
  checkPositiveInteger(l0, 'maxPartitionsContributed');
  const eps1 = epsilon / l0;
  const delta1 = -Math.expm1(Math.log1p(-delta) / l0);
  const base = {
    kind: 'partition_selection' as const,
    strategy,
    epsilon,
    delta,
    maxPartitionsContributed: l0,
  };
  const common = { perPartitionEpsilon: eps1, perPartitionDelta: delta1 };

  if (strategy === 'truncated_geometric') {
    const em1 = Math.expm1(eps1);
    const crossover1 = 1 + Math.floor(Math.log1p(Math.tanh(eps1 / 2) * (1 / delta1 - 1)) / eps1);
    const pc = Math.min(1, (Math.expm1(crossover1 * eps1) / em1) * delta1);
    const crossover2 = crossover1 + Math.floor(Math.log1p((em1 / delta1) * (1 - pc)) / eps1);
    const keepProbability = (n: number): number => {
      checkCount(n);
      if (n < 1) return 0;
      if (n <= crossover1) return Math.min(1, (Math.expm1(n * eps1) / em1) * delta1);
      if (n <= crossover2) {
        const m = n - crossover1;
        return Math.min(1, pc - (1 - pc + delta1 / em1) * Math.expm1(-m * eps1));
      }
      return 1;
    };
    return Object.freeze({ ...base, ...common, crossover1, crossover2, keepProbability });
  }
  if (strategy === 'laplace_threshold') {
    const scale = discreteLaplaceScale(l0, epsilon);
    const b = rationalToNumber(scale);
    const log1pa = Math.log1p(Math.exp(-1 / b));
    // Smallest k >= 1 with ln P(Z >= k) = −k/b − ln(1 + a) <= ln δ'.
    let k = Math.max(1, Math.ceil(b * (-Math.log(delta1) - log1pa)));
    while (k > 1 && -(k - 1) / b - log1pa <= Math.log(delta1)) k -= 1;
    while (-k / b - log1pa > Math.log(delta1)) k += 1;
    const threshold = 1 + k;
    /** P(Z >= j) for the discrete Laplace. */
    const upperTail = (j: number): number =>
      j >= 1 ? Math.exp(-j / b - log1pa) : 1 - Math.exp(-(1 - j) / b - log1pa);
    const keepProbability = (n: number): number => {
      checkCount(n);
      return n < 1 ? 0 : upperTail(threshold - n);
    };
    return Object.freeze({ ...base, ...common, scale, threshold, keepProbability });
  }
  throw new DpParameterError(
    `partition selection strategy must be "truncated_geometric" or "laplace_threshold", got ${String(strategy)}`,
  );
}

/**
 * Decides whether to keep one partition that has `privacyIdCount` distinct users (after
 * contribution bounding). Exact sampling in both strategies: truncated geometric draws an exact
 * Bernoulli of the double p(n) (its exact dyadic value, so far finer than a 53-bit uniform);
 * Laplace thresholding adds exact discrete Laplace noise to n and compares with the integer
 * threshold.
 *
 * @example
 * ```ts
 * const m = partitionSelection({ epsilon: 1, delta: 1e-5, maxPartitionsContributed: 1, strategy: 'laplace_threshold' });
 * selectPartition(m, 40n, secureRandom()); // almost surely true
 * ```
 */
export function selectPartition(
  m: PartitionSelectionMechanism,
  privacyIdCount: bigint,
  rng: RandomSource,
): boolean {
  if (typeof privacyIdCount !== 'bigint' || privacyIdCount < 0n) {
    throw new DpParameterError(`privacyIdCount must be a bigint >= 0, got ${String(privacyIdCount)}`);
  }
  if (privacyIdCount === 0n) return false;
  if (m.strategy === 'laplace_threshold') {
    return privacyIdCount + sampleDiscreteLaplace(m.scale!, rng) >= BigInt(m.threshold!);
  }
  const n =
    privacyIdCount > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(privacyIdCount);
  const p = m.keepProbability(n);
  if (p >= 1) return true;
  if (p <= 0) return false;
  return sampleBernoulliRational(rationalFromNumber(p), rng);
}

function checkCount(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new DpParameterError(`user count must be an integer >= 0, got ${String(n)}`);
  }
}
