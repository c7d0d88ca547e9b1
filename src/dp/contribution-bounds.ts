import { checkEpsilon, checkPositiveInteger, DpParameterError } from './errors.js';

/**
 * How much one privacy unit (a user) may contribute after contribution bounding: rows in at most
 * `maxPartitionsContributed` partitions (L0), and at most `maxContributionsPerPartition` rows in
 * each (Linf). Every sensitivity in `dp/` derives from these two numbers.
 *
 * @example
 * ```ts
 * const bounds: ContributionBounds = { maxPartitionsContributed: 1, maxContributionsPerPartition: 3 };
 * ```
 */
export interface ContributionBounds {
  /** L0: partitions a single user may appear in. A positive integer. */
  readonly maxPartitionsContributed: number;
  /** Linf: rows a single user may contribute to one partition. A positive integer. */
  readonly maxContributionsPerPartition: number;
}

/** Validates bounds and returns a frozen copy (so a mechanism never shares a mutable object). */
export function checkBounds(bounds: ContributionBounds): ContributionBounds {
  if (typeof bounds !== 'object' || bounds === null) {
    throw new DpParameterError(`bounds must be an object, got ${String(bounds)}`);
  }
  checkPositiveInteger(bounds.maxPartitionsContributed, 'maxPartitionsContributed');
  checkPositiveInteger(bounds.maxContributionsPerPartition, 'maxContributionsPerPartition');
  return Object.freeze({
    maxPartitionsContributed: bounds.maxPartitionsContributed,
    maxContributionsPerPartition: bounds.maxContributionsPerPartition,
  });
}

/**
 * L1 sensitivity of a per-partition COUNT over bounded contributions: L0 · Linf (one user changes
 * at most L0 counts by at most Linf each). PipelineDP `compute_l1_sensitivity`.
 *
 * @example
 * ```ts
 * countL1Sensitivity({ maxPartitionsContributed: 2, maxContributionsPerPartition: 3 }); // 6
 * ```
 */
export function countL1Sensitivity(bounds: ContributionBounds): number {
  const b = checkBounds(bounds);
  const l1 = b.maxPartitionsContributed * b.maxContributionsPerPartition;
  if (!Number.isSafeInteger(l1)) {
    throw new DpParameterError(`maxPartitionsContributed × maxContributionsPerPartition is too large: ${l1}`);
  }
  return l1;
}

/**
 * The privacy guarantee in one plain sentence, for the people reading a release.
 *
 * @example
 * ```ts
 * describeGuarantee(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 });
 * // "Any one visitor, across all their sessions in the window, changes each published count by at
 * //  most 1 session, in at most 1 partition (L0=1, Linf=1); ε = 1."
 * ```
 */
export function describeGuarantee(epsilon: number, bounds: ContributionBounds): string {
  checkEpsilon(epsilon);
  const { maxPartitionsContributed: l0, maxContributionsPerPartition: linf } = checkBounds(bounds);
  const sessions = linf === 1 ? '1 session' : `${linf} sessions`;
  const partitions = l0 === 1 ? '1 partition' : `${l0} partitions`;
  return (
    `Any one visitor, across all their sessions in the window, changes each published count by at most ` +
    `${sessions}, in at most ${partitions} (L0=${l0}, Linf=${linf}); ε = ${epsilon}.`
  );
}
