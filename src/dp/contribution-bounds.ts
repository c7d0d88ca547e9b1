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
  /**
   * Optional per-user total across all partitions (PipelineDP `max_contributions`), applied after
   * L0 and Linf. When set, sensitivities use min(L0·Linf, total) rows.
   */
  readonly maxContributions?: number;
}

/** Validates bounds and returns a frozen copy (so a mechanism never shares a mutable object). */
export function checkBounds(bounds: ContributionBounds): ContributionBounds {
  if (typeof bounds !== 'object' || bounds === null) {
    throw new DpParameterError(`bounds must be an object, got ${String(bounds)}`);
  }
  checkPositiveInteger(bounds.maxPartitionsContributed, 'maxPartitionsContributed');
  checkPositiveInteger(bounds.maxContributionsPerPartition, 'maxContributionsPerPartition');
  if (bounds.maxContributions !== undefined)
    checkPositiveInteger(bounds.maxContributions, 'maxContributions');
  return Object.freeze({
    maxPartitionsContributed: bounds.maxPartitionsContributed,
    maxContributionsPerPartition: bounds.maxContributionsPerPartition,
    ...(bounds.maxContributions !== undefined ? { maxContributions: bounds.maxContributions } : {}),
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
  const l1 = Math.min(
    b.maxPartitionsContributed * b.maxContributionsPerPartition,
    b.maxContributions ?? Infinity,
  );
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

/**
 * How many rows one user can move, in L1 and squared-L2 terms, after bounding: L1 = min(L0·Linf,
 * total); squared L2 = the largest Σ cᵢ² over at most L0 partitions with cᵢ <= Linf and Σ cᵢ <=
 * total, reached by filling partitions with Linf rows each: k·Linf² + r² with k = min(L0,
 * ⌊total/Linf⌋) and r the remainder (0 once k = L0). Without a total: L0·Linf and L0·Linf².
 * A statistic whose rows each move it by at most M has Δ₁ = L1·M and Δ₂² = L2²·M².
 *
 * @example
 * ```ts
 * rowSensitivity({ maxPartitionsContributed: 3, maxContributionsPerPartition: 4, maxContributions: 6 });
 * // { l1: 6n, l2Squared: 20n }  (4² + 2²)
 * ```
 */
export function rowSensitivity(bounds: ContributionBounds): { l1: bigint; l2Squared: bigint } {
  const b = checkBounds(bounds);
  const l0 = BigInt(b.maxPartitionsContributed);
  const linf = BigInt(b.maxContributionsPerPartition);
  if (b.maxContributions === undefined || BigInt(b.maxContributions) >= l0 * linf) {
    return { l1: l0 * linf, l2Squared: l0 * linf * linf };
  }
  const total = BigInt(b.maxContributions);
  const full = total / linf < l0 ? total / linf : l0;
  const rest = full < l0 ? total - full * linf : 0n;
  return { l1: total, l2Squared: full * linf * linf + rest * rest };
}

/** Partitions one user can be counted in (PRIVACY_ID_COUNT sensitivity): min(L0, total). */
export function userPartitionSensitivity(bounds: ContributionBounds): bigint {
  const b = checkBounds(bounds);
  const l0 = BigInt(b.maxPartitionsContributed);
  return b.maxContributions !== undefined && BigInt(b.maxContributions) < l0
    ? BigInt(b.maxContributions)
    : l0;
}
