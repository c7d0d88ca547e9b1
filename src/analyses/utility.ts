import type { Engine } from '../engine/duckdb.js';
import type { RandomSource } from '../dp/index.js';
import type { SilverSource } from '../silver/silver-source.js';
import {
  CONTRIBUTION_BUCKETS,
  exactProfiles,
  noisyProfile,
  valueBucketUpper,
} from './contribution-profile.js';
import type { AnalysisPlan } from './plan.js';
import type { Window } from './release.js';

/** Share of users whose contributions the suggested bounds keep whole. */
export const UTILITY_COVERAGE = 0.95;

/** What `explain --utility` found for one analysis (DP outputs and public parameters only). */
export interface UtilitySuggestion {
  readonly analysis: string;
  readonly window: string;
  readonly epsilon: number;
  /** Smallest bucket bound covering ≥ 95% of users' partitions (L0), per-partition rows (Linf), values. */
  readonly maxPartitionsContributed: number;
  readonly maxContributionsPerPartition: number;
  /** Upper value clamp, when the analysis has a value. */
  readonly valueUpper?: number;
  /** Noisy share of users the configured bounds keep whole (L0, Linf) or unclamped (value). */
  readonly configuredCoverage: { readonly l0: number; readonly linf: number; readonly value?: number };
}

/**
 * PipelineDP-style utility analysis for one analysis and one window: DP histograms of each user's
 * contribution profile (partitions touched, most rows in one partition, and one of their values
 * chosen by a keyed hash; the same profile automatic bounds are chosen from, see
 * `contribution-profile.ts`) with discrete Laplace noise, then bounds read off the noisy
 * histograms: the smallest bucket bound that covers 95% of users. A user is the privacy unit of
 * `silver` (the person across key versions), so each user falls in exactly one
 * bucket of each histogram (sensitivity 1), so each histogram is (ε/k)-DP with k histograms;
 * buckets are public, all released.
 */
export async function suggestBounds(
  engine: Engine,
  plan: AnalysisPlan,
  silver: SilverSource,
  window: Window,
  epsilon: number,
  rng: RandomSource,
): Promise<UtilitySuggestion> {
  const v = plan.value;
  const exact = (await exactProfiles(engine, plan, silver, [window], rng)).get(window.id)!;
  // Everything below is post-processing of noisy counts (negative ones read as 0).
  const profile = noisyProfile(exact, epsilon, rng);
  const nonNegative = (h: readonly number[]): number[] => h.map((c) => Math.max(0, c));
  const nl0 = nonNegative(profile.partitions);
  const nlinf = nonNegative(profile.rows);
  const nval = nonNegative(profile.values ?? []);
  const coverIndex = (h: number[]): number => {
    const total = h.reduce((a, b) => a + b, 0);
    let acc = 0;
    for (let i = 0; i < h.length; i++) {
      acc += h[i]!;
      if (total > 0 && acc >= UTILITY_COVERAGE * total) return i;
    }
    return h.length - 1;
  };
  const covered = (h: number[], lastIndex: number): number => {
    const total = h.reduce((a, b) => a + b, 0);
    const acc = h.slice(0, lastIndex + 1).reduce((a, b) => a + b, 0);
    return total > 0 ? acc / total : 0;
  };
  const bucketBound = (i: number): number =>
    CONTRIBUTION_BUCKETS[Math.min(i, CONTRIBUTION_BUCKETS.length - 1)]!;
  const valueUpper = valueBucketUpper;
  const lastCovering = (bound: number): number => {
    const i = CONTRIBUTION_BUCKETS.findIndex((b) => bound <= b);
    // A bound between two bucket edges is credited only with the buckets wholly below it.
    return i === -1 ? CONTRIBUTION_BUCKETS.length : CONTRIBUTION_BUCKETS[i] === bound ? i : i - 1;
  };
  const valueIndex = v ? Math.floor(Math.log2(Math.max(0, v.hi) + 1)) - 1 : 0;
  return {
    analysis: plan.name,
    window: window.id,
    epsilon,
    maxPartitionsContributed: bucketBound(coverIndex(nl0)),
    maxContributionsPerPartition: bucketBound(coverIndex(nlinf)),
    ...(v ? { valueUpper: valueUpper(coverIndex(nval)) } : {}),
    configuredCoverage: {
      l0: covered(nl0, lastCovering(plan.bounds.maxPartitionsContributed)),
      linf: covered(nlinf, lastCovering(plan.bounds.maxContributionsPerPartition)),
      ...(v ? { value: covered(nval, valueIndex) } : {}),
    },
  };
}
