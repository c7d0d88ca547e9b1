import { checkBounds, type ContributionBounds, userPartitionSensitivity } from './contribution-bounds.js';
import { releaseNoisyCount, reportedScale } from './count-mechanism.js';
import { calibrateParts, type Noise, noiseHalfWidth, type StatisticParams } from './noise.js';
import type { RandomSource } from './random-source.js';
import type { Rational } from './rational.js';

/** A per-partition count of distinct users (each counted once per partition, in at most L0 partitions). */
export interface PrivacyIdCountMechanism {
  readonly kind: 'privacy_id_count';
  readonly epsilon: number;
  readonly delta: number;
  readonly rho: number;
  readonly bounds: ContributionBounds;
  /** L0 (Linf is irrelevant: a user counts once per partition). */
  readonly l1Sensitivity: number;
  readonly noise: Noise;
  readonly scale: Rational;
  readonly halfWidth95: number;
}

/**
 * Calibrates PRIVACY_ID_COUNT: Δ₁ = L0, Δ₂² = L0 (PipelineDP: l0 = max_partitions_contributed,
 * linf = 1).
 *
 * @example
 * ```ts
 * const m = privacyIdCountMechanism({ epsilon: 1, bounds: { maxPartitionsContributed: 2, maxContributionsPerPartition: 10 } });
 * releasePrivacyIdCount(m, 480n, secureRandom()); // ≈ 480 ± 6
 * ```
 */
export function privacyIdCountMechanism(params: StatisticParams): PrivacyIdCountMechanism {
  const b = checkBounds(params.bounds);
  const l0 = userPartitionSensitivity(b);
  const { budget, noises } = calibrateParts(params, [
    { name: 'privacy_id_count', l1Sensitivity: l0, l2SensitivitySquared: l0 },
  ]);
  const noise = noises['privacy_id_count']!;
  return Object.freeze({
    kind: 'privacy_id_count',
    epsilon: budget.epsilon,
    delta: budget.delta,
    rho: budget.rho,
    bounds: b,
    l1Sensitivity: Number(l0),
    noise,
    scale: reportedScale(noise),
    halfWidth95: noiseHalfWidth(noise, 0.95),
  });
}

/** Releases one partition's number of distinct users plus exact noise; `ci95` from the exact noise distribution. */
export function releasePrivacyIdCount(
  m: PrivacyIdCountMechanism,
  privacyIdCount: bigint,
  rng: RandomSource,
): { value: number; ci95: [number, number]; intervalMethod: string } {
  return releaseNoisyCount('privacyIdCount', privacyIdCount, m, rng);
}
