import {
  checkBounds,
  type ContributionBounds,
  rowSensitivity,
  userPartitionSensitivity,
} from './contribution-bounds.js';
import { EXACT_INTERVAL } from './count-mechanism.js';
import { DpParameterError } from './errors.js';
import { estimateMean, estimateSumFromMean, estimateVariance, type NoisyPart } from './estimators.js';
import { UNION_BOUND_INTERVAL } from './mean-mechanism.js';
import {
  calibrateParts,
  type MechanismBudget,
  type Noise,
  noiseHalfWidth,
  type PartSensitivity,
  sampleNoise,
} from './noise.js';
import type { RandomSource } from './random-source.js';
import { normalizedSquare, normalizedValue, quantize, type ValueGrid, valueGrid } from './value-grid.js';

/** A statistic a multi-statistic analysis can release per partition. */
export type Statistic = 'count' | 'privacy_id_count' | 'sum' | 'mean' | 'variance';

/** An integer part that gets its own noise; statistics are computed from noisy parts. */
export type PartName = 'count' | 'privacy_id_count' | 'sum' | 'normalized_sum' | 'normalized_sum_of_squares';

/** One partition's bounded aggregate: the parts the mechanism needs (see {@link MultiStatMechanism.parts}). */
export interface MultiStatAggregate {
  /** Rows kept after bounding. */
  readonly count?: bigint;
  /** Distinct users among them. */
  readonly privacyIdCount?: bigint;
  /** Σ quantize(x), grid units. */
  readonly sum?: bigint;
  /** Σ normalizedValue(x), half-units. */
  readonly normalizedSum?: bigint;
  /** Σ normalizedSquare(x). */
  readonly normalizedSumOfSquares?: bigint;
}

/** One released statistic. */
export interface StatisticRelease {
  readonly value: number;
  readonly ci95: [number, number];
  readonly intervalMethod: string;
}

/** A noisy part with its noise and half-widths: `halfWidths[k-1]` at confidence 1 − 0.05/k (k = 1, 2, 3). */
export interface CalibratedPart {
  readonly noise: Noise;
  readonly halfWidths: readonly [number, number, number];
}

/**
 * Several statistics of one analysis over ONE bounding pass, sharing ONE budget. Immutable,
 * resolved before any data is read.
 */
export interface MultiStatMechanism {
  readonly kind: 'multi_stat';
  readonly statistics: readonly Statistic[];
  readonly epsilon: number;
  readonly delta: number;
  readonly rho: number;
  readonly bounds: ContributionBounds;
  /** Present when a value statistic (sum, mean, variance) is requested. */
  readonly grid?: ValueGrid;
  /** The noisy parts, each calibrated with its share of the budget. */
  readonly parts: Readonly<Partial<Record<PartName, CalibratedPart>>>;
}

const PART_AGGREGATE: Record<PartName, keyof MultiStatAggregate> = {
  count: 'count',
  privacy_id_count: 'privacyIdCount',
  sum: 'sum',
  normalized_sum: 'normalizedSum',
  normalized_sum_of_squares: 'normalizedSumOfSquares',
};

/**
 * Resolves several statistics of one analysis (e.g. COUNT + MEAN + VARIANCE of pageviews per
 * country). All statistics are computed from the SAME bounded rows (one contribution-bounding
 * pass with the given L0/Linf), and the analysis budget is split across the distinct noisy
 * integer PARTS they need, never per statistic, so shared parts are paid once:
 *
 * - count → `count`; privacy_id_count → `privacy_id_count`;
 * - mean → `count` + `normalized_sum`; variance → `count` + `normalized_sum` + `normalized_sum_of_squares`;
 * - sum → its own `sum` part, unless mean or variance is also requested: then it is derived from
 *   `count` and `normalized_sum` at no extra cost (PipelineDP derives SUM from MEAN the same way).
 *
 * Budget split: equal weights per part unless `options.weights` says otherwise (PipelineDP gives
 * the mean's two mechanisms equal weight and splits variance's budget in three). Laplace: ε is
 * split; Gaussian: the ρ with rhoToEpsilon(ρ, δ) <= ε is split (zCDP composition). So the whole
 * analysis is (ε, δ)-DP per release window.
 *
 * Sensitivities (R = hiUnits − loUnits, M = max(|loUnits|, |hiUnits|), rows = L0·Linf or less
 * with a per-user total, see `rowSensitivity`): count rows; privacy_id_count L0; sum rows·M;
 * normalized_sum rows·R; normalized_sum_of_squares rows·R² (R² bounds |2v² − R²|); Δ₂² likewise
 * from the squared-L2 row count.
 *
 * @example
 * ```ts
 * const m = multiStatMechanism(
 *   { epsilon: 1, bounds: { maxPartitionsContributed: 1, maxContributionsPerPartition: 3 }, lo: 0, hi: 50 },
 *   ['count', 'mean', 'sum'],
 * );
 * Object.keys(m.parts); // ['count', 'normalized_sum']: ε/2 each, sum derived
 * const agg = accumulatePartition(m, [{ privacyId: 'p1', value: 3 }, { privacyId: 'p2', value: 12 }]);
 * releaseMultiStat(m, agg, secureRandom()); // { count: {…}, mean: {…}, sum: {…} }
 * ```
 */
export function multiStatMechanism(
  params: MechanismBudget & {
    readonly bounds: ContributionBounds;
    readonly lo?: number;
    readonly hi?: number;
  },
  statistics: readonly Statistic[],
  options: { readonly weights?: Readonly<Partial<Record<PartName, number>>> } = {},
): MultiStatMechanism {
  const b = checkBounds(params.bounds);
  if (!Array.isArray(statistics) || statistics.length === 0) {
    throw new DpParameterError('statistics must be a non-empty list, e.g. ["count", "mean"]');
  }
  const stats = [...new Set(statistics)];
  for (const s of stats) {
    if (!['count', 'privacy_id_count', 'sum', 'mean', 'variance'].includes(s)) {
      throw new DpParameterError(
        `unknown statistic "${String(s)}"; use count, privacy_id_count, sum, mean or variance`,
      );
    }
  }
  const needsValues = stats.some((s) => s === 'sum' || s === 'mean' || s === 'variance');
  let grid: ValueGrid | undefined;
  if (needsValues) {
    if (params.lo === undefined || params.hi === undefined) {
      throw new DpParameterError('sum, mean and variance need value bounds lo and hi');
    }
    grid = valueGrid(params.lo, params.hi);
  }
  const names = partsFor(stats);
  const rows = rowSensitivity(b);
  const users = userPartitionSensitivity(b);
  const r = grid ? grid.hiUnits - grid.loUnits : 0n;
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  const m = grid ? (abs(grid.loUnits) > abs(grid.hiUnits) ? abs(grid.loUnits) : abs(grid.hiUnits)) : 0n;
  // How much one row moves each part (privacy_id_count: one user, once per partition).
  const perRow: Record<PartName, bigint> = {
    count: 1n,
    privacy_id_count: 1n,
    sum: m,
    normalized_sum: r,
    normalized_sum_of_squares: r * r,
  };
  const sensitivities: PartSensitivity[] = names.map((name) => {
    const weight = options.weights?.[name] ?? 1;
    if (name === 'privacy_id_count')
      return { name, l1Sensitivity: users, l2SensitivitySquared: users, weight };
    const x = perRow[name];
    return { name, l1Sensitivity: rows.l1 * x, l2SensitivitySquared: rows.l2Squared * x * x, weight };
  });
  const { budget, noises } = calibrateParts(params, sensitivities);
  const parts: Partial<Record<PartName, CalibratedPart>> = {};
  for (const name of names) {
    const noise = noises[name]!;
    parts[name] = Object.freeze({
      noise,
      halfWidths: Object.freeze([
        noiseHalfWidth(noise, 0.95),
        noiseHalfWidth(noise, 1 - 0.05 / 2),
        noiseHalfWidth(noise, 1 - 0.05 / 3),
      ]) as readonly [number, number, number],
    });
  }
  return Object.freeze({
    kind: 'multi_stat',
    statistics: Object.freeze(stats),
    epsilon: budget.epsilon,
    delta: budget.delta,
    rho: budget.rho,
    bounds: b,
    ...(grid ? { grid } : {}),
    parts: Object.freeze(parts),
  });
}

function partsFor(stats: readonly Statistic[]): PartName[] {
  const names = new Set<PartName>();
  const has = (s: Statistic): boolean => stats.includes(s);
  if (has('count') || has('mean') || has('variance')) names.add('count');
  if (has('privacy_id_count')) names.add('privacy_id_count');
  if (has('mean') || has('variance')) names.add('normalized_sum');
  if (has('variance')) names.add('normalized_sum_of_squares');
  if (has('sum') && !has('mean') && !has('variance')) names.add('sum');
  return [...names];
}

/**
 * One partition's aggregate from its ALREADY BOUNDED rows (see `boundContributions`): the
 * reference for what the SQL engine computes. `value` is needed for value statistics.
 */
export function accumulatePartition(
  m: MultiStatMechanism,
  rows: Iterable<{ readonly privacyId: string; readonly value?: number }>,
): MultiStatAggregate {
  let count = 0n;
  let sum = 0n;
  let normalizedSum = 0n;
  let normalizedSumOfSquares = 0n;
  const ids = new Set<string>();
  for (const row of rows) {
    count += 1n;
    ids.add(row.privacyId);
    if (m.grid) {
      if (typeof row.value !== 'number') throw new DpParameterError('every row needs a numeric value');
      sum += quantize(m.grid, row.value);
      normalizedSum += normalizedValue(m.grid, row.value);
      normalizedSumOfSquares += normalizedSquare(m.grid, row.value);
    }
  }
  return { count, privacyIdCount: BigInt(ids.size), sum, normalizedSum, normalizedSumOfSquares };
}

/**
 * Releases every statistic of one partition: one exact noise draw per part, then
 * post-processing. COUNT, PRIVACY_ID_COUNT and a standalone SUM get exact intervals; MEAN,
 * VARIANCE and a derived SUM get union-bound intervals over their parts (each part at
 * 1 − 0.05/k for k parts), stated in `intervalMethod`.
 */
export function releaseMultiStat(
  m: MultiStatMechanism,
  agg: MultiStatAggregate,
  rng: RandomSource,
): Partial<Record<Statistic, StatisticRelease>> {
  const noisy: Partial<Record<PartName, number>> = {};
  for (const name of Object.keys(m.parts) as PartName[]) {
    const trueValue = agg[PART_AGGREGATE[name]];
    if (typeof trueValue !== 'bigint') {
      throw new DpParameterError(
        `aggregate is missing ${PART_AGGREGATE[name]} (a bigint), needed for ${name}`,
      );
    }
    noisy[name] = Number(trueValue + sampleNoise(m.parts[name]!.noise, rng));
  }
  const part = (name: PartName, k: 1 | 2 | 3): NoisyPart => ({
    value: noisy[name]!,
    halfWidth: m.parts[name]!.halfWidths[k - 1]!,
  });
  const out: Partial<Record<Statistic, StatisticRelease>> = {};
  const exact = (name: PartName, scale = 1): StatisticRelease => {
    const p = part(name, 1);
    const value = p.value * scale;
    return {
      value,
      ci95: [value - p.halfWidth * scale, value + p.halfWidth * scale],
      intervalMethod: EXACT_INTERVAL,
    };
  };
  for (const s of m.statistics) {
    if (s === 'count') out.count = exact('count');
    else if (s === 'privacy_id_count') out.privacy_id_count = exact('privacy_id_count');
    else if (s === 'sum') {
      out.sum = m.parts.sum
        ? exact('sum', m.grid!.granularity)
        : {
            ...estimateSumFromMean(m.grid!, part('count', 2), part('normalized_sum', 2)),
            intervalMethod: UNION_BOUND_INTERVAL,
          };
    } else if (s === 'mean') {
      out.mean = {
        ...estimateMean(m.grid!, part('count', 2), part('normalized_sum', 2)),
        intervalMethod: UNION_BOUND_INTERVAL,
      };
    } else {
      out.variance = {
        ...estimateVariance(
          m.grid!,
          part('count', 3),
          part('normalized_sum', 3),
          part('normalized_sum_of_squares', 3),
        ),
        intervalMethod: UNION_BOUND_INTERVAL,
      };
    }
  }
  return out;
}
