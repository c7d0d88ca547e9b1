import type { ActiveUsersConfig } from '../config/index.js';
import {
  continualIntervalMethod,
  continualNodeScale,
  continualTreeMechanism,
  differenceStream,
  discreteGaussianHalfWidth,
  discreteGaussianSigma2ForRho,
  discreteLaplaceHalfWidth,
  discreteLaplaceScale,
  presenceFlips,
  rationalToNumber,
  releaseContinual,
  rhoForEpsilonDelta,
  rhoToEpsilon,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  type RandomSource,
} from '../dp/index.js';
import { RELEASE_SCHEMA, type Release } from '../gold/release.js';
import { pureCost, zcdpCost, type PrivacyCost } from '../ledger/index.js';
import { addDays, daysBetween } from './days.js';

/** Where and when a release was made: public metadata. */
export interface ReleaseMeta {
  readonly createdAt: string;
  readonly runId: string;
}

/** A planned release: its cost, resolved from the config before any data is read. */
export interface ActivePlan {
  readonly cost: PrivacyCost;
}

const GUARANTEE_DAU =
  'Any one visitor changes a day’s active-user count by at most 1 (they are in that day’s set at most once); discrete Laplace noise gives ε-DP per release, δ = 0.';
const GUARANTEE_MAU =
  'Any one visitor changes a window’s distinct-user count by at most 1; discrete Gaussian noise gives ρ-zCDP per release, stated as (ε, δ)-DP.';

/** DAU: discrete Laplace, sensitivity 1 (a user is in a day's set at most once), scale 1/ε. */
export function dauPlan(config: ActiveUsersConfig): ActivePlan {
  return { cost: pureCost(config.dau.epsilon) };
}

/** MAU: discrete Gaussian, L2 sensitivity 1, ρ the largest with (ε, δ)-DP at the configured ε, δ. */
export function mauPlan(config: ActiveUsersConfig): ActivePlan & { readonly rho: number } {
  const rho = rhoForEpsilonDelta(config.mau.epsilon, config.mau.delta);
  return { cost: zcdpCost(rho, config.mau.delta), rho };
}

export function dauRelease(
  day: string,
  exact: number,
  config: ActiveUsersConfig,
  rng: RandomSource,
  meta: ReleaseMeta,
): Release {
  const epsilon = config.dau.epsilon;
  const scale = discreteLaplaceScale(1, epsilon);
  const value = exact + Number(sampleDiscreteLaplace(scale, rng));
  const h = discreteLaplaceHalfWidth(rationalToNumber(scale), 0.05);
  return {
    schema: RELEASE_SCHEMA,
    analysis: 'dau',
    statistic: 'count',
    privacy_unit: 'user',
    partition_by: 'day',
    window: { start: day, end: day },
    privacy: {
      epsilon,
      delta: 0,
      mechanism: 'discrete_laplace',
      noise_scale: rationalToNumber(scale),
      max_partitions_contributed: 1,
      max_contributions_per_partition: 1,
      interval_method: 'exact discrete Laplace 95% interval around the noisy count',
    },
    description: 'Daily active users',
    guarantee: `${GUARANTEE_DAU} ε = ${epsilon}.`,
    partitions: [{ key: day, value, ci95: [value - h, value + h] }],
    created_at: meta.createdAt,
    run_id: meta.runId,
  };
}

export function mauRelease(
  end: string,
  windowDays: number,
  exact: number,
  config: ActiveUsersConfig,
  rng: RandomSource,
  meta: ReleaseMeta,
): Release {
  const { rho } = mauPlan(config);
  const sigma2 = discreteGaussianSigma2ForRho(1, rho);
  const value = exact + Number(sampleDiscreteGaussian(sigma2, rng));
  const h = Number(discreteGaussianHalfWidth(sigma2));
  return {
    schema: RELEASE_SCHEMA,
    analysis: 'mau',
    statistic: 'count',
    privacy_unit: 'user',
    partition_by: 'day',
    window: { start: addDays(end, 1 - windowDays), end },
    privacy: {
      epsilon: config.mau.epsilon,
      delta: config.mau.delta,
      mechanism: 'discrete_gaussian',
      rho,
      noise_scale: Math.sqrt(rationalToNumber(sigma2)),
      max_partitions_contributed: 1,
      max_contributions_per_partition: 1,
      window_days: windowDays,
      interval_method: 'exact discrete Gaussian 95% interval around the noisy count (PMF summed numerically)',
    },
    description: `Active users, rolling ${windowDays} days`,
    guarantee: `${GUARANTEE_MAU} ρ = ${round(rho)}, ε = ${config.mau.epsilon}, δ = ${config.mau.delta}.`,
    partitions: [{ key: end, value, ci95: [value - h, value + h] }],
    created_at: meta.createdAt,
    run_id: meta.runId,
  };
}

export type SeriesKind = 'dau' | 'mau';

/** The series' noise budget: pure ε for DAU (Laplace tree), ρ for MAU (Gaussian tree, at the MAU δ). */
function seriesBudget(kind: SeriesKind, config: ActiveUsersConfig): { epsilon: number } | { rho: number } {
  const { epsilon } = config.series;
  return kind === 'dau' ? { epsilon } : { rho: rhoForEpsilonDelta(epsilon, config.mau.delta) };
}

/** The cost of a continual-release series: pure ε for DAU (Laplace tree), ρ for MAU (Gaussian tree). */
export function seriesPlan(kind: SeriesKind, config: ActiveUsersConfig): ActivePlan {
  const budget = seriesBudget(kind, config);
  return { cost: 'rho' in budget ? zcdpCost(budget.rho, config.mau.delta) : pureCost(budget.epsilon) };
}

/**
 * The continual-release series of `days` (consecutive), from each user's active days (no ids):
 * DAU (window 1) with a discrete Laplace tree, or rolling MAU (window W) with a discrete Gaussian
 * tree, each user's presence changes truncated at the configured flippancy bound.
 * `activeDays` must cover [first day − W + 1, last day].
 */
export function seriesRelease(
  kind: SeriesKind,
  days: readonly string[],
  windowDays: number,
  activeDays: readonly (readonly string[])[],
  config: ActiveUsersConfig,
  rng: RandomSource,
  meta: ReleaseMeta,
): { readonly release: Release; readonly truncatedUsers: number } {
  const T = days.length;
  const first = days[0]!;
  const w = kind === 'dau' ? config.series.dau_max_flippancy : config.series.mau_max_flippancy;
  const cost = seriesBudget(kind, config);
  const mechanism = continualTreeMechanism(T, w, cost);
  // Day `first` is step 1.
  const flips = activeDays.map((ds) =>
    presenceFlips(
      ds.map((d) => daysBetween(first, d) + 1),
      T,
      windowDays,
    ),
  );
  const { z, truncatedUsers } = differenceStream(flips, T, w);
  const { estimates, halfWidths } = releaseContinual(mechanism, z, rng);
  const epsilon = 'epsilon' in cost ? cost.epsilon : config.series.epsilon;
  const delta = 'epsilon' in cost ? 0 : config.mau.delta;
  const partitions = days.map((day, i) => ({
    key: day,
    value: estimates[i]!,
    ci95: [estimates[i]! - halfWidths[i]!, estimates[i]! + halfWidths[i]!] as const,
  }));
  const release: Release = {
    schema: RELEASE_SCHEMA,
    analysis: kind === 'dau' ? 'dau_series' : 'mau_series',
    statistic: 'count',
    privacy_unit: 'user',
    partition_by: 'day',
    window: { start: first, end: days[T - 1]! },
    privacy: {
      epsilon: 'rho' in cost ? round(rhoToEpsilon(cost.rho, delta)) : epsilon,
      delta,
      mechanism: mechanism.noise.kind,
      ...('rho' in cost ? { rho: cost.rho } : {}),
      noise_scale: continualNodeScale(mechanism.noise),
      max_partitions_contributed: 1,
      max_contributions_per_partition: 1,
      ...(kind === 'mau' ? { window_days: windowDays } : {}),
      continual: {
        method: 'flippancy_bounded_tree',
        max_flippancy: w,
        tree_levels: mechanism.levels,
        steps: T,
      },
      interval_method: `${continualIntervalMethod(mechanism.noise)}; the interval covers the count after truncating users beyond the flippancy bound`,
    },
    description: kind === 'dau' ? 'Daily active users' : `Active users, rolling ${windowDays} days`,
    guarantee:
      `The whole series is one release: any one visitor, whose presence changes at most ${w} times in it ` +
      `(later changes are ignored), changes the tree of noisy sums by a bounded amount ` +
      `(Jain, Kalemaj, Raskhodnikova, Sivakumar, Smith, NeurIPS 2023); ` +
      ('rho' in cost
        ? `discrete Gaussian noise, ρ = ${round(cost.rho)} (ε = ${round(rhoToEpsilon(cost.rho, delta))}, δ = ${delta}).`
        : `discrete Laplace noise, ε = ${epsilon}, δ = 0.`),
    partitions,
    created_at: meta.createdAt,
    run_id: meta.runId,
  };
  return { release, truncatedUsers };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
