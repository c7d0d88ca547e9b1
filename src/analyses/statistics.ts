import type { StatisticName } from '../config/index.js';
import {
  countMechanism,
  meanMechanism,
  releaseCount,
  releaseMean,
  type ContributionBounds,
  type RandomSource,
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
  /** Kept rows per grid value q(x) (quantiles only). */
  readonly histogram?: ReadonlyMap<bigint, bigint>;
}

export const EMPTY_AGGREGATE: BoundedAggregate = {
  count: 0n,
  users: 0n,
  normalizedSum: 0n,
  normalizedSumSquares: 0n,
};

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
  readonly statistic: StatisticName;
  /** Output names, in order: `['count']`, `['mean']`, `['p50', 'p90']`, … */
  readonly outputs: readonly string[];
  readonly mechanism: 'discrete_laplace' | 'discrete_gaussian';
  readonly epsilon: number;
  readonly delta: number;
  /** Its zCDP cost: Σ ρ of its mechanisms (pure ε-DP ones as ε²/2). */
  readonly rho: number;
  /** Public parameters for the release's `privacy.statistics` entry (noise scales, grid, …). */
  readonly parameters: Readonly<Record<string, number | string | readonly number[]>>;
  /** Predicted 95% error of each output, in the value's unit (half-width of the interval). */
  readonly predictedError95: Readonly<Record<string, number | string>>;
  readonly intervalMethod: string;
  /** Lines for `explain`. */
  readonly explain: readonly string[];
  /** The value grid this statistic reads from the aggregate, if any. */
  readonly grid?: ValueGrid;
  release(agg: BoundedAggregate, rng: RandomSource): Readonly<Record<string, StatisticOutput>>;
}

export interface StatisticRequest {
  readonly statistic: StatisticName;
  readonly noise: 'laplace' | 'gaussian';
  readonly epsilon: number;
  readonly delta: number;
  readonly bounds: ContributionBounds;
  readonly value?: { readonly lo: number; readonly hi: number; readonly unit: string };
  readonly quantiles?: readonly number[];
}

const frozen = (p: StatisticPlan): StatisticPlan => Object.freeze(p);
const fmt = (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toPrecision(4));
const ratio = (r: { num: bigint; den: bigint }): number => Number(r.num) / Number(r.den);

/**
 * Calibrates one statistic with the DP engine's mechanisms. Only combinations the engine provides
 * are accepted (the config schema rejects the others first, with a clear message).
 */
export function planStatistic(req: StatisticRequest): StatisticPlan {
  if (req.statistic === 'count') return count(req);
  if (req.statistic === 'mean') return mean(req);
  throw new Error(`${req.statistic} with ${req.noise} noise is not available in this build`);
}

type NoiseOptions = NonNullable<Parameters<typeof countMechanism>[2]>;

const noiseOptions = (req: StatisticRequest): NoiseOptions =>
  req.noise === 'gaussian' ? { noise: 'gaussian', delta: req.delta } : { noise: 'laplace' };

const mechanismName = (req: StatisticRequest): StatisticPlan['mechanism'] =>
  req.noise === 'gaussian' ? 'discrete_gaussian' : 'discrete_laplace';

const noiseWords = (req: StatisticRequest): string =>
  req.noise === 'gaussian' ? 'discrete Gaussian' : 'discrete Laplace';

function count(req: StatisticRequest): StatisticPlan {
  const m = countMechanism(req.epsilon, req.bounds, noiseOptions(req));
  const scaleWord = req.noise === 'gaussian' ? 'σ' : 'scale';
  return frozen({
    statistic: 'count',
    outputs: ['count'],
    mechanism: mechanismName(req),
    epsilon: req.epsilon,
    delta: m.delta,
    rho: m.rho,
    parameters: {
      noise_scale: m.scaleNumber,
      l1_sensitivity: m.l1Sensitivity,
      ...(req.noise === 'gaussian' ? { rho: m.rho } : {}),
    },
    predictedError95: { count: m.halfWidth95 },
    intervalMethod: `exact: value ± h, the smallest h with P(|noise| > h) ≤ 5% under the ${noiseWords(req)} distribution (covers the bounded count with probability ≥ 95%)`,
    explain: [
      `COUNT: ${noiseWords(req)}, ${scaleWord} ${fmt(m.scaleNumber)} (L1 sensitivity ${m.l1Sensitivity}), ε = ${fmt(req.epsilon)}, δ = ${m.delta}, ρ = ${fmt(m.rho)}; predicted 95% error ±${m.halfWidth95}`,
    ],
    release: (agg, rng) => ({ count: releaseCount(m, agg.count, rng) }),
  });
}

function mean(req: StatisticRequest): StatisticPlan {
  const v = req.value!;
  const m = meanMechanism(req.epsilon, req.bounds, v.lo, v.hi, noiseOptions(req));
  const sumScale = (ratio(m.sumScale) * m.granularity) / 2;
  const sumHalf = (m.sumHalfWidth * m.granularity) / 2;
  return frozen({
    statistic: 'mean',
    outputs: ['mean'],
    mechanism: mechanismName(req),
    epsilon: req.epsilon,
    delta: m.delta,
    rho: m.rho,
    grid: { lo: m.lo, hi: m.hi, granularity: m.granularity, loUnits: m.loUnits, hiUnits: m.hiUnits },
    parameters: {
      count_noise_scale: ratio(m.countScale),
      sum_noise_scale: sumScale,
      granularity: m.granularity,
      bounds: [m.lo, m.hi],
      unit: v.unit,
      ...(req.noise === 'gaussian' ? { rho: m.rho } : {}),
    },
    predictedError95: {
      mean: `±(${fmt(sumHalf)} ${v.unit} + ${m.countHalfWidth}·|mean − midpoint|) / count`,
    },
    intervalMethod:
      'exact, conservative: extremes of the mean over 97.5% intervals of both the noisy count and the noisy sum (joint coverage ≥ 95%), clamped to the bounds',
    explain: [
      `MEAN: values clamped to [${m.lo}, ${m.hi}] ${v.unit}, grid ${m.granularity} ${v.unit}; ${noiseWords(req)} on the count (scale ${fmt(ratio(m.countScale))}) and on the normalized sum (scale ${fmt(sumScale)} ${v.unit}), half the budget each: ε = ${fmt(req.epsilon)}, δ = ${m.delta}, ρ = ${fmt(m.rho)}`,
      `accuracy: count ±${m.countHalfWidth}, sum ±${fmt(sumHalf)} ${v.unit} at 97.5% each; the mean's interval combines both`,
    ],
    release: (agg, rng) => ({ mean: releaseMean(m, agg, rng) }),
  });
}
