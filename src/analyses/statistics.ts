import type { StatisticName } from '../config/index.js';
import {
  multiStatMechanism,
  QUANTILE_INTERVAL,
  quantileMechanism,
  releaseMultiStat,
  releaseQuantiles,
  type CalibratedPart,
  type ContributionBounds,
  type MultiStatAggregate,
  type Noise,
  type PartName,
  type RandomSource,
  type Statistic,
} from '../dp/index.js';

/**
 * Bounded per-partition aggregates from one bounding pass: the only thing noise is added to.
 * Never leaves `analyses/`. Values are on the analysis's integer grid, normalized around the
 * midpoint of the bounds in half-units (see `MeanMechanism`).
 */
export interface BoundedAggregate {
  /** Rows kept. */
  readonly count: bigint;
  /** Distinct users with a kept row. */
  readonly users: bigint;
  /** Σ (2·q(x) − (loUnits + hiUnits)) over kept rows. */
  readonly normalizedSum: bigint;
  /** Σ (2·q(x) − (loUnits + hiUnits))² over kept rows. */
  readonly normalizedSumSquares: bigint;
  /** Kept rows per quantile leaf (quantiles only). */
  readonly histogram?: ReadonlyMap<bigint, bigint>;
}

export const EMPTY_AGGREGATE: BoundedAggregate = {
  count: 0n,
  users: 0n,
  normalizedSum: 0n,
  normalizedSumSquares: 0n,
};

/** Equal-width leaves of [lo, hi]: a value's leaf is ⌊(clamp(x) − lo)/(hi − lo) · count⌋ in [0, count − 1]. */
export interface QuantileLeaves {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

/** One released number of a partition, e.g. the count, the mean or the p90. */
export interface StatisticOutput {
  readonly value: number;
  readonly ci95: readonly [number, number];
}

/** The integer grid value statistics are computed on (shared by all of an analysis's statistics). */
export interface ValueGrid {
  readonly lo: number;
  readonly hi: number;
  readonly granularity: number;
  readonly loUnits: bigint;
  readonly hiUnits: bigint;
}

/**
 * One statistic of an analysis, calibrated up front: its share of the analysis's budget, its
 * mechanism, and how it turns a bounded aggregate into noisy outputs.
 */
export interface StatisticPlan {
  /** The statistics this mechanism releases (several share one mechanism and its noisy parts). */
  readonly statistics: readonly StatisticName[];
  /** Output names, in order: `['count']`, `['count', 'mean']`, `['p50', 'p90']`, … */
  readonly outputs: readonly string[];
  readonly mechanism: 'discrete_laplace' | 'discrete_gaussian';
  readonly epsilon: number;
  readonly delta: number;
  /** Its zCDP cost: Σ ρ of its noisy parts (pure ε-DP ones as ε²/2). */
  readonly rho: number;
  /** Public parameters for the release's `privacy.statistics` entries (noise scales, grid, …). */
  readonly parameters: Readonly<Record<string, number | string | readonly number[]>>;
  /** Predicted 95% error of each output (half-width of its interval), a number or a formula. */
  readonly predictedError95: Readonly<Record<string, number | string>>;
  /** How each output's `ci95` was derived. */
  readonly intervalMethods: Readonly<Record<string, string>>;
  /** Lines for `explain`. */
  readonly explain: readonly string[];
  /** The value grid this plan reads from the aggregate, if any. */
  readonly grid?: ValueGrid;
  /** Quantiles: the equal-width leaves over [lo, hi] whose row counts the aggregate's histogram holds. */
  readonly leaves?: QuantileLeaves;
  release(agg: BoundedAggregate, rng: RandomSource): Readonly<Record<string, StatisticOutput>>;
}

export interface StatisticRequest {
  readonly statistics: readonly StatisticName[];
  readonly noise: 'laplace' | 'gaussian';
  readonly epsilon: number;
  readonly delta: number;
  readonly bounds: ContributionBounds;
  readonly value?: { readonly lo: number; readonly hi: number; readonly unit: string };
  readonly quantiles?: readonly number[];
}

const frozen = (p: StatisticPlan): StatisticPlan => Object.freeze(p);
const fmt = (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toPrecision(4));

/** The statistics one multi-statistic mechanism of the DP engine can release together. */
export const MULTI_STATISTICS: ReadonlySet<StatisticName> = new Set([
  'count',
  'privacy_id_count',
  'sum',
  'mean',
  'variance',
]);

const PART_WORDS: Record<PartName, string> = {
  count: 'row count',
  privacy_id_count: 'distinct users',
  sum: 'sum (grid units)',
  normalized_sum: 'normalized sum (half-units)',
  normalized_sum_of_squares: 'normalized sum of squares',
};

/** A noise's scale for reports: the discrete Laplace scale, or the discrete Gaussian σ. */
function scaleOf(noise: Noise): number {
  return noise.kind === 'laplace'
    ? Number(noise.scale.num) / Number(noise.scale.den)
    : Math.sqrt(Number(noise.sigma2.num) / Number(noise.sigma2.den));
}

/**
 * Calibrates the count/sum/mean/variance/privacy-id-count statistics of one analysis as ONE
 * multi-statistic mechanism of the DP engine: they read the same bounded aggregate and split the
 * budget over the noisy integer parts they need (shared parts paid once).
 */
export function planStatistics(req: StatisticRequest): StatisticPlan {
  const stats = req.statistics as Statistic[];
  for (const s of stats) {
    if (!MULTI_STATISTICS.has(s)) throw new Error(`${s} is not available in this build`);
  }
  const v = req.value;
  const m = multiStatMechanism(
    {
      epsilon: req.epsilon,
      noise: req.noise,
      ...(req.noise === 'gaussian' ? { delta: req.delta } : {}),
      bounds: req.bounds,
      ...(v ? { lo: v.lo, hi: v.hi } : {}),
    },
    stats,
  );
  const g = m.grid;
  const words = req.noise === 'gaussian' ? 'discrete Gaussian' : 'discrete Laplace';
  const scaleWord = req.noise === 'gaussian' ? 'σ' : 'scale';
  const parameters: Record<string, number | string | readonly number[]> = {};
  const partLines: string[] = [];
  // Scales in the value's unit: grid units × g, half-units × g/2.
  const unitFactor: Record<PartName, number> = {
    count: 1,
    privacy_id_count: 1,
    sum: g?.granularity ?? 1,
    normalized_sum: (g?.granularity ?? 1) / 2,
    normalized_sum_of_squares: 1,
  };
  for (const [name, part] of Object.entries(m.parts) as [PartName, CalibratedPart][]) {
    const scale = scaleOf(part.noise);
    parameters[`${name}_noise_scale`] = scale;
    const inUnit =
      name === 'sum' || name === 'normalized_sum' ? ` = ${fmt(scale * unitFactor[name])} ${v?.unit}` : '';
    partLines.push(
      `${PART_WORDS[name]}: ${scaleWord} ${fmt(scale)}${inUnit}, 95% ±${fmt(part.halfWidths[0] * unitFactor[name])}`,
    );
  }
  // release@1 names of the first noisy parts, kept for existing readers.
  const countPart = m.parts.count ?? m.parts.privacy_id_count ?? m.parts.sum;
  if (countPart) parameters.noise_scale = scaleOf(countPart.noise);
  if (m.parts.normalized_sum)
    parameters.sum_noise_scale = scaleOf(m.parts.normalized_sum.noise) * unitFactor.normalized_sum;
  if (g) {
    parameters.granularity = g.granularity;
    parameters.bounds = [g.lo, g.hi];
    parameters.unit = v!.unit;
  }
  if (req.noise === 'gaussian') parameters.rho = m.rho;
  const predicted: Record<string, number | string> = {};
  const methods: Record<string, string> = {};
  for (const s of stats) {
    methods[s] =
      s === 'count' || s === 'privacy_id_count' || (s === 'sum' && m.parts.sum) ? EXACT_METHOD : UNION_METHOD;
    if (s === 'count') predicted.count = m.parts.count!.halfWidths[0];
    else if (s === 'privacy_id_count') predicted.privacy_id_count = m.parts.privacy_id_count!.halfWidths[0];
    else if (s === 'sum' && m.parts.sum) predicted.sum = m.parts.sum.halfWidths[0] * g!.granularity;
    else if (s === 'mean') {
      const sh = m.parts.normalized_sum!.halfWidths[1] * unitFactor.normalized_sum;
      predicted.mean = `±(${fmt(sh)} + ${m.parts.count!.halfWidths[1]}·|mean − ${fmt((g!.lo + g!.hi) / 2)}|) / n ${v!.unit}, n the partition's row count`;
    } else predicted[s] = 'union bound over its noisy parts; shrinks as 1/n';
  }
  return frozen({
    statistics: stats,
    outputs: stats,
    mechanism: req.noise === 'gaussian' ? 'discrete_gaussian' : 'discrete_laplace',
    epsilon: m.epsilon,
    delta: m.delta,
    rho: m.rho,
    parameters,
    predictedError95: predicted,
    intervalMethods: methods,
    explain: [
      `${stats.map((s) => s.toUpperCase()).join(' + ')}: ${words} on ${Object.keys(m.parts).length} noisy part(s), budget split equally: ε = ${fmt(m.epsilon)}, δ = ${m.delta}, ρ = ${fmt(m.rho)}`,
      ...partLines.map((l) => `  ${l}`),
      ...Object.entries(predicted).map(
        ([k, p]) => `  predicted 95% error of ${k}: ${typeof p === 'number' ? `±${fmt(p)}` : p}`,
      ),
    ],
    ...(g
      ? { grid: { lo: g.lo, hi: g.hi, granularity: g.granularity, loUnits: g.loUnits, hiUnits: g.hiUnits } }
      : {}),
    release: (agg, rng) => {
      const out = releaseMultiStat(m, multiAggregate(agg, g), rng);
      const result: Record<string, StatisticOutput> = {};
      for (const s of stats) result[s] = { value: out[s]!.value, ci95: out[s]!.ci95 };
      return result;
    },
  });
}

const EXACT_METHOD =
  'exact: value ± h, the smallest h with P(|noise| > h) ≤ 5% under the exact noise distribution (covers the bounded value with probability ≥ 95%)';
const UNION_METHOD =
  "union bound: each noisy part within its exact 97.5% (variance: 98.33%) noise interval, the statistic's extremes over that box, clamped to the bounds; covers the bounded value with probability ≥ 95%";

/** The engine's aggregate from ours: Σq = (Σx + n·(lo+hi))/2 and Σ(2x² − R²) = 2·Σx² − n·R². */
function multiAggregate(agg: BoundedAggregate, g: ValueGrid | undefined): MultiStatAggregate {
  if (!g) return { count: agg.count, privacyIdCount: agg.users };
  const r = g.hiUnits - g.loUnits;
  return {
    count: agg.count,
    privacyIdCount: agg.users,
    sum: (agg.normalizedSum + agg.count * (g.loUnits + g.hiUnits)) / 2n,
    normalizedSum: agg.normalizedSum,
    normalizedSumOfSquares: 2n * agg.normalizedSumSquares - agg.count * r * r,
  };
}

/** Output name of a quantile rank: 0.5 → `p50`, 0.9 → `p90`, 0.025 → `p2.5`. */
export function quantileName(q: number): string {
  return `p${Number((q * 100).toPrecision(6))}`;
}

/**
 * Quantiles of the analysis's value with the DP engine's quantile tree: one noisy tree per
 * partition serves every rank. Reads the per-partition leaf histogram of the bounded rows.
 */
export function planQuantiles(req: StatisticRequest): StatisticPlan {
  const v = req.value!;
  const ranks = req.quantiles!;
  const m = quantileMechanism({
    epsilon: req.epsilon,
    noise: req.noise,
    ...(req.noise === 'gaussian' ? { delta: req.delta } : {}),
    bounds: req.bounds,
    lo: v.lo,
    hi: v.hi,
    quantiles: ranks,
  });
  const names = ranks.map(quantileName);
  const scale = scaleOf(m.noise);
  const words = req.noise === 'gaussian' ? 'discrete Gaussian' : 'discrete Laplace';
  const methods = Object.fromEntries(names.map((n) => [n, QUANTILE_INTERVAL]));
  return frozen({
    statistics: ['quantiles'],
    outputs: names,
    mechanism: req.noise === 'gaussian' ? 'discrete_gaussian' : 'discrete_laplace',
    epsilon: m.epsilon,
    delta: m.delta,
    rho: m.rho,
    parameters: {
      quantiles: ranks,
      tree_branching: m.branching,
      tree_height: m.height,
      leaf_width: m.leafWidth,
      node_noise_scale: scale,
      bounds: [m.lo, m.hi],
      unit: v.unit,
      ...(req.noise === 'gaussian' ? { rho: m.rho } : {}),
    },
    predictedError95: Object.fromEntries(
      names.map((n) => [
        n,
        'depends on the data near the quantile; see the bootstrap interval of each release',
      ]),
    ),
    intervalMethods: methods,
    explain: [
      `QUANTILES ${names.join(', ')}: quantile tree over [${m.lo}, ${m.hi}] ${v.unit} (branching ${m.branching}, height ${m.height}, leaves of ${fmt(m.leafWidth)} ${v.unit}), ${words} noise ${req.noise === 'gaussian' ? 'σ' : 'scale'} ${fmt(scale)} per node, one tree for all ranks: ε = ${fmt(m.epsilon)}, δ = ${m.delta}, ρ = ${fmt(m.rho)}`,
    ],
    leaves: { lo: m.lo, hi: m.hi, count: m.leaves },
    release: (agg, rng) => {
      const hist = new Map<number, bigint>();
      for (const [leaf, n] of agg.histogram ?? []) hist.set(Number(leaf), n);
      const out: Record<string, StatisticOutput> = {};
      releaseQuantiles(m, hist, rng).forEach((r, i) => {
        out[names[i]!] = { value: r.value, ci95: r.ci95 };
      });
      return out;
    },
  });
}
