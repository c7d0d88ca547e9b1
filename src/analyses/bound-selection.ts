import type { RandomSource } from '../dp/index.js';
import {
  CONTRIBUTION_BUCKETS,
  noisyProfile,
  VALUE_BUCKET_COUNT,
  valueBucketUpper,
  type ContributionProfile,
} from './contribution-profile.js';
import type { AnalysisPlan, BoundsSelectionRecord, ChosenBounds } from './plan.js';

/** How the release names the method (`privacy.bounds_selection.method`). */
export const BOUNDS_SELECTION_METHOD =
  'min_predicted_bias_plus_noise (Amin, Kulesza, Muñoz Medina, Vassilvitskii 2019) over DP histograms of the contribution profile';

export const BOUNDS_SELECTION_CANDIDATES = `L0 and Linf in {${CONTRIBUTION_BUCKETS.join(', ')}}; upper value clamp in {2^k − 1 : k = 1…${VALUE_BUCKET_COUNT}}`;

/**
 * Planning size of a private-partition analysis (keys are not known before selection): the
 * number of partitions whose noise the error model adds up. Public, fixed.
 */
export const PRIVATE_PARTITIONS_PLANNED = 100;

/** A release notes its bounds when they are estimated to drop more than this share of rows or values. */
export const CLIPPED_NOTE_SHARE = 0.01;

/** What the error model needs besides the noisy profile: public parameters of the plan. */
export interface SelectionModel {
  /** Partitions whose errors add up (public keys, or {@link PRIVATE_PARTITIONS_PLANNED}). */
  readonly partitions: number;
  readonly noise: 'laplace' | 'gaussian';
  /** Expected |noise| of the count part at L0 = Linf = 1 (Laplace: its scale; Gaussian: σ·√(2/π)). */
  readonly countNoise1: number;
  /** Value analyses: expected |noise| of the value-unit normalized sum at L0 = Linf = 1, per unit of (hi − lo). */
  readonly sumNoise1?: number;
  /** Value analyses: the lower clamp (fixed). */
  readonly lo?: number;
  /** `privacy_id_count` first: Linf does not change the statistic. */
  readonly distinctUsers: boolean;
  /** Which bounds to choose; the others stay at `fixed`. */
  readonly auto: { readonly l0: boolean; readonly linf: boolean; readonly clamp: boolean };
  readonly fixed: ChosenBounds;
}

/**
 * Chance that noise alone makes some empty bucket of a histogram read as filled (then a bound
 * may be chosen one step too large: some extra noise, no bias).
 */
const EMPTY_BUCKET_FALSE_RATE = 0.2;
/** The same for a bucket whose neighbours both read as empty. */
const ISOLATED_BUCKET_FALSE_RATE = 0.01;

/**
 * How far a dropped row's value is assumed to lie from the kept rows' mean, in means: heavy
 * users' sessions differ from the others' (on the GA360 sample their durations are longer), so
 * dropping them shifts a mean by about twice their share.
 */
const DROPPED_ROW_SHIFT = 2;

/** Candidate edges of L0/Linf, with the "more" bucket read as 1.5 × the last edge. */
const EDGES: readonly number[] = [...CONTRIBUTION_BUCKETS, 1.5 * CONTRIBUTION_BUCKETS.at(-1)!];

/**
 * Chooses the contribution bounds (L0, Linf) and the upper value clamp that minimise the predicted
 * total error, bounding bias + noise, read off a DP contribution profile (Amin, Kulesza,
 * Muñoz Medina, Vassilvitskii, "Bounding user contributions: a bias-variance trade-off in
 * differential privacy", ICML 2019: choose the contribution bound minimising bias + noise
 * estimated from a DP histogram). Pure post-processing of the noisy profile: no data is read.
 *
 * Error model (totals over the partitions, rows; for value statistics in the value's unit):
 * - rows dropped by Linf = C: Σ over bucket edges e ≥ C of (users with more than e rows in one
 *   partition) × (next edge − e); by L0 likewise from the partitions histogram, times the mean
 *   rows a user keeps per partition (the two histograms are read as independent);
 * - count noise: partitions × E|noise| of the count at (L0, Linf) (∝ L0·Linf for Laplace,
 *   √L0·Linf for Gaussian; with Linf > 1 the count's scale grows, partition selection's
 *   threshold depends on L0 only);
 * - mean: clamp bias Σ over value edges ≥ hi of (share of users' values above the edge) × width,
 *   plus the dropped rows' share × 2 × the mean (a dropped session is assumed to differ from the
 *   kept ones by twice the mean), plus E|noise| of sum/count at the bounds for a partition of half the average size.
 * A bucket counts only when its noisy count and a neighbour's clear what noise alone reaches in
 * 20% of histograms, or its count alone clears the bar for 1% (so a larger bound is chosen only where the histogram shows the data to need it; otherwise the
 * noise in the many empty tail buckets would pull the bounds up).
 */
export function chooseBounds(
  profile: ContributionProfile<number> & { readonly scales: ContributionProfile<number> },
  model: SelectionModel,
): { chosen: ChosenBounds; clippedShare: number; clampedShare?: number } {
  // A bucket reads as empty unless its noisy count clears what noise alone exceeds in any of the
  // histogram's buckets with probability 20% (discrete Laplace tail, union bound) and so does a
  // neighbouring bucket, or it alone clears the bar for 1%. A true distribution fills adjacent
  // buckets (a tail thins out bucket by bucket), while noise lifting two adjacent empty buckets
  // is far rarer (≈ (20%/buckets)²). So the many empty tail buckets add nothing and seldom pull a
  // bound to the top of the grid, while well-filled ones count in full.
  const significant = (h: readonly number[], scales: readonly number[]): number[] => {
    const bar = (rate: number): number => scales[0]! * Math.log(h.length / rate);
    const paired = bar(EMPTY_BUCKET_FALSE_RATE);
    const alone = bar(ISOLATED_BUCKET_FALSE_RATE);
    return h.map((c, i) =>
      c > alone || (c > paired && ((h[i - 1] ?? 0) > paired || (h[i + 1] ?? 0) > paired)) ? c : 0,
    );
  };
  const rowsH = significant(profile.rows, profile.scales.rows);
  const partsH = significant(profile.partitions, profile.scales.partitions);
  const vH = profile.values ? significant(profile.values, profile.scales.values!) : undefined;
  // tail[i]: users beyond bucket i, i.e. with more than EDGES[i] (bucket members count at their upper edge).
  const tails = (h: readonly number[]): number[] =>
    h.map((_, i) => h.slice(i + 1).reduce((a, b) => a + b, 0));
  const users = Math.max(
    1,
    rowsH.reduce((a, b) => a + b, 0),
  );
  // dropped[i]: users' rows beyond edge i (one partition), summed over users.
  const dropped = (tail: readonly number[]): number[] =>
    EDGES.slice(0, -1).map((_, i) =>
      tail.slice(i, EDGES.length - 1).reduce((acc, t, k) => acc + t * (EDGES[i + k + 1]! - EDGES[i + k]!), 0),
    );
  const rowsDropped = dropped(tails(rowsH));
  const partsDropped = dropped(tails(partsH));
  const keptPerUser = (linf: number): number =>
    model.distinctUsers ? 1 : rowsH.reduce((acc, c, i) => acc + c * Math.min(EDGES[i]!, linf), 0) / users;
  const rowsTotal = users * keptPerUser(Infinity) + keptPerUser(Infinity) * (partsDropped[0] ?? 0);
  const index = (x: number): number => {
    const i = EDGES.indexOf(x);
    // A fixed bound off the grid: credited only with the edges below it.
    return i >= 0 ? i : Math.max(0, EDGES.findIndex((e) => e > x) - 1);
  };
  const lost = (l0: number, linf: number): number =>
    (model.distinctUsers ? 0 : rowsDropped[index(linf)]!) + keptPerUser(linf) * partsDropped[index(l0)]!;
  const f = (l0: number, linf: number): number =>
    model.noise === 'laplace' ? l0 * linf : Math.sqrt(l0) * linf;
  const grid = CONTRIBUTION_BUCKETS;
  const l0s = model.auto.l0 ? grid : [model.fixed.l0];
  const linfs = model.distinctUsers ? [model.fixed.linf] : model.auto.linf ? grid : [model.fixed.linf];

  if (!vH || model.sumNoise1 === undefined) {
    let best = { l0: l0s[0]!, linf: linfs[0]!, err: Infinity };
    for (const l0 of l0s)
      for (const linf of linfs) {
        const err = lost(l0, linf) + model.partitions * model.countNoise1 * f(l0, linf);
        if (err < best.err) best = { l0, linf, err };
      }
    return {
      chosen: {
        l0: best.l0,
        linf: best.linf,
        ...(model.fixed.hi !== undefined ? { hi: model.fixed.hi } : {}),
      },
      clippedShare: Math.min(1, lost(best.l0, best.linf) / Math.max(1, rowsTotal)),
    };
  }

  const lo = model.lo ?? 0;
  const vUsers = Math.max(
    1,
    vH.reduce((a, b) => a + b, 0),
  );
  const mid = (k: number): number => (k === 0 ? 0 : 1.5 * 2 ** k - 1);
  const mean = vH.reduce((acc, c, k) => acc + c * mid(k), 0) / vUsers;
  const vTail = tails(vH);
  // Mean clamp bias at hi = upper(i): Σ_{j ≥ i} (users above upper(j)) × (upper(j+1) − upper(j)) / users.
  const clampBias = (i: number, tail: readonly number[]): number =>
    tail.slice(i, VALUE_BUCKET_COUNT - 1).reduce((acc, t, k) => acc + t * 2 ** (i + k + 1), 0) / vUsers;
  const his = model.auto.clamp
    ? Array.from({ length: VALUE_BUCKET_COUNT }, (_, i) => i).filter((i) => valueBucketUpper(i) > lo)
    : [];
  const fixedHi = model.fixed.hi!;
  const hiIndex = (hi: number): number => Math.max(0, Math.floor(Math.log2(Math.max(0, hi) + 1)) - 1);
  // The clamp candidates and their bias, which do not depend on L0 and Linf: computed once, not
  // in the loop below (it ran ≈ 0.3 s a year's run on the main thread while DuckDB waited).
  const clamps = (his.length > 0 ? his : [hiIndex(fixedHi)]).map((i) => ({
    hi: his.length > 0 ? valueBucketUpper(i) : fixedHi,
    bias: clampBias(i, vTail),
  }));
  let best = { l0: l0s[0]!, linf: linfs[0]!, hi: fixedHi, err: Infinity };
  for (const l0 of l0s)
    for (const linf of linfs) {
      const dropRows = lost(l0, linf);
      // Partition sizes are skewed (one device or country holds most sessions): the noise is
      // weighed for a partition of half the average size.
      const n = Math.max(1, (rowsTotal - dropRows) / (2 * model.partitions));
      const drop = (dropRows / Math.max(1, rowsTotal)) * DROPPED_ROW_SHIFT * mean;
      for (const { hi, bias } of clamps) {
        const noise =
          (model.sumNoise1 * (hi - lo) * f(l0, linf) +
            Math.abs(mean - (lo + hi) / 2) * model.countNoise1 * f(l0, linf)) /
          n;
        const err = bias + drop + noise;
        if (err < best.err) best = { l0, linf, hi, err };
      }
    }
  const clampedUsers = vTail[hiIndex(best.hi)] ?? 0;
  return {
    chosen: { l0: best.l0, linf: best.linf, hi: best.hi },
    clippedShare: Math.min(1, lost(best.l0, best.linf) / Math.max(1, rowsTotal)),
    clampedShare: Math.min(1, clampedUsers / vUsers),
  };
}

/** The plan's public noise parameters the error model scales (see {@link SelectionModel}). */
export function selectionModel(plan: AnalysisPlan): SelectionModel {
  const sel = plan.selection!;
  const first = plan.statistics[0]!;
  const p = first.parameters;
  const l0 = plan.bounds.maxPartitionsContributed;
  const linf = plan.bounds.maxContributionsPerPartition;
  const gaussian = plan.noise === 'gaussian';
  const f = gaussian ? Math.sqrt(l0) * linf : l0 * linf;
  const expected = gaussian ? Math.sqrt(2 / Math.PI) : 1;
  const scaleOf = (x: unknown): number => (typeof x === 'number' ? x : 0);
  const countScale = scaleOf(p.count_noise_scale ?? p.noise_scale);
  const v = plan.value;
  const sumScale = v ? scaleOf(p.sum_noise_scale) : 0;
  return {
    partitions: plan.partitions.kind === 'public' ? plan.partitions.keys.length : PRIVATE_PARTITIONS_PLANNED,
    noise: plan.noise,
    countNoise1: (expected * countScale) / f,
    ...(v && sumScale > 0 ? { sumNoise1: (expected * sumScale) / f / (v.hi - v.lo), lo: v.lo } : {}),
    distinctUsers: plan.kind === 'privacy_id_count',
    auto: sel.auto,
    fixed: { l0, linf, ...(v ? { hi: v.hi } : {}) },
  };
}

/**
 * Chooses one window's bounds from its exact contribution profile: noise on the profile (the
 * selection's ε, from the plan), then {@link chooseBounds}; returns the finalized plan.
 */
export function selectBoundsForWindow(
  plan: AnalysisPlan,
  exact: ContributionProfile<bigint>,
  rng: RandomSource,
): AnalysisPlan {
  const sel = plan.selection!;
  const profile = noisyProfile(exact, sel.epsilon, rng);
  const { chosen, clippedShare, clampedShare } = chooseBounds(profile, selectionModel(plan));
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const cut = [
    ...(clippedShare > CLIPPED_NOTE_SHARE ? [`drop ≈${pct(clippedShare)} of sessions`] : []),
    ...(clampedShare !== undefined && clampedShare > CLIPPED_NOTE_SHARE
      ? [`clamp ≈${pct(clampedShare)} of values`]
      : []),
  ];
  const lo = plan.value?.lo ?? 0;
  const record: BoundsSelectionRecord = {
    method: BOUNDS_SELECTION_METHOD,
    epsilon: sel.epsilon,
    candidates: BOUNDS_SELECTION_CANDIDATES,
    chosen: {
      max_partitions_contributed: chosen.l0,
      max_contributions_per_partition: chosen.linf,
      ...(chosen.hi !== undefined ? { bounds: [lo, chosen.hi] as const } : {}),
    },
    clipped_share: round4(clippedShare),
    ...(clampedShare !== undefined ? { clamped_share: round4(clampedShare) } : {}),
    ...(cut.length > 0
      ? {
          note: `The bounds ${cut.join(' and ')} (DP estimates): estimates may be biased by about that much.`,
        }
      : {}),
  };
  return sel.finalize(chosen, record);
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
