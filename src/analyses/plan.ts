import type { AnalysisConfig, PipelineConfig, StatisticName } from '../config/index.js';
import { UserError } from '../errors.js';
import {
  DpParameterError,
  partitionSelection,
  splitBudget,
  type ContributionBounds,
  type PartitionSelectionMechanism,
  type PartitionSelectionStrategy,
} from '../dp/index.js';
import { approxCost, combine, pureCost, type PrivacyCost } from '../ledger/index.js';
import {
  planQuantiles,
  planStatistics,
  type QuantileLeaves,
  type StatisticPlan,
  type ValueGrid,
} from './statistics.js';

/** Which partition keys are released. */
export type PartitionPlan =
  | { readonly kind: 'public'; readonly keys: readonly string[] }
  | {
      readonly kind: 'private';
      readonly epsilon: number;
      readonly delta: number;
      readonly strategy: PartitionSelectionStrategy;
      readonly mechanism: PartitionSelectionMechanism;
    };

/**
 * One analysis, resolved up front: bounds, budget share and every statistic's mechanism are
 * fixed before any data is read. Immutable; `explain` prints it.
 */
export interface AnalysisPlan {
  readonly name: string;
  readonly description: string;
  readonly partitionBy: string;
  readonly partitions: PartitionPlan;
  readonly bounds: ContributionBounds;
  /** Per-user total rows across partitions, when declared. */
  readonly maxContributions?: number;
  /** The value column and its clamp bounds (value statistics only). */
  readonly value?: {
    readonly column: string;
    readonly lo: number;
    readonly hi: number;
    readonly unit: string;
  };
  /** The integer grid shared by the value statistics. */
  readonly grid?: ValueGrid;
  /** Ranks released by the `quantiles` statistic. */
  readonly quantiles?: readonly number[];
  /** The quantile tree's leaves, whose per-partition row counts the bounding SQL yields. */
  readonly quantileLeaves?: QuantileLeaves;
  readonly noise: 'laplace' | 'gaussian';
  /** The analysis's whole budget per window (all statistics and partition selection). */
  readonly epsilon: number;
  readonly delta: number;
  /** What one release spends: a part per statistic mechanism (ρ-zCDP if Gaussian), and partition selection (approx). */
  readonly cost: PrivacyCost;
  /** The first statistic: its outputs fill each partition's `value`/`ci95`. */
  readonly kind: StatisticName;
  readonly statistics: readonly StatisticPlan[];
  readonly window: 'month';
}

/** An analysis's (ε, δ) per window, after weights are resolved against the monthly caps. */
export interface AnalysisBudget {
  readonly epsilon: number;
  readonly delta: number;
}

/**
 * Resolves every analysis's budget: an explicit `epsilon`/`delta` as given; `weight`s split what
 * the explicit ones leave of the monthly caps, in proportion to their weights.
 */
export function resolveBudgets(config: PipelineConfig): Map<string, AnalysisBudget> {
  const explicitEps = config.analyses.reduce((acc, a) => acc + (a.epsilon ?? 0), 0);
  // δ already promised: explicit analyses' δ and every partition selection's δ.
  const explicitDelta = config.analyses.reduce(
    (acc, a) => acc + (a.epsilon !== undefined ? (a.delta ?? 0) : 0) + (a.partition_selection?.delta ?? 0),
    0,
  );
  const leftEps = Math.max(0, config.budget.monthly_epsilon_cap - explicitEps);
  const leftDelta = Math.max(0, config.budget.monthly_delta_cap - explicitDelta);
  const weighted = config.analyses.filter((a) => a.weight !== undefined);
  const eps =
    weighted.length > 0
      ? splitBudget(leftEps, Object.fromEntries(weighted.map((a) => [a.name, a.weight!])))
      : {};
  // Only Gaussian noise uses δ; weighted Laplace analyses take none of the δ cap.
  const gaussian = weighted.filter((a) => a.noise === 'gaussian');
  const delta =
    gaussian.length > 0
      ? splitBudget(leftDelta, Object.fromEntries(gaussian.map((a) => [a.name, a.weight!])))
      : {};
  const out = new Map<string, AnalysisBudget>();
  for (const a of config.analyses) {
    if (a.weight !== undefined) out.set(a.name, { epsilon: eps[a.name]!, delta: delta[a.name] ?? 0 });
    else out.set(a.name, { epsilon: a.epsilon!, delta: a.delta ?? 0 });
  }
  return out;
}

export function planAnalysis(a: AnalysisConfig, budget?: AnalysisBudget): AnalysisPlan {
  const { epsilon, delta } = budget ?? { epsilon: a.epsilon!, delta: a.delta ?? 0 };
  const bounds: ContributionBounds = {
    maxPartitionsContributed: a.max_partitions_contributed,
    maxContributionsPerPartition: a.max_contributions_per_partition,
    ...(a.max_contributions !== undefined ? { maxContributions: a.max_contributions } : {}),
  };
  const value =
    a.value !== undefined && a.bounds !== undefined && a.unit !== undefined
      ? { column: a.value, lo: a.bounds[0], hi: a.bounds[1], unit: a.unit }
      : undefined;
  // The statistics one multi-statistic mechanism releases form one group weighted by how many
  // they are; quantiles (one mechanism for all ranks) and private partition selection weigh 1
  // each (PipelineDP's default equal weights). The groups split ε; the statistics groups split
  // δ, and partition selection spends the δ it declares on top.
  const select = a.partition_selection;
  const multi = a.statistics.filter((s) => s !== 'quantiles');
  const weights: Record<string, number> = {};
  if (multi.length > 0) weights.multi = multi.length;
  if (a.statistics.includes('quantiles')) weights.quantiles = 1;
  const statDelta = splitBudget(delta, weights);
  if (select) weights.partition_selection = 1;
  const eps = splitBudget(epsilon, weights);
  const statistics: StatisticPlan[] = [];
  if (multi.length > 0) {
    statistics.push(
      planStatistics({
        statistics: multi,
        noise: a.noise,
        epsilon: eps.multi!,
        delta: statDelta.multi ?? 0,
        bounds,
        value,
      }),
    );
  }
  if (weights.quantiles !== undefined) {
    statistics.push(
      planQuantiles({
        statistics: ['quantiles'],
        noise: a.noise,
        epsilon: eps.quantiles!,
        delta: statDelta.quantiles ?? 0,
        bounds,
        value,
        quantiles: a.quantiles,
      }),
    );
  }
  const partitions: PartitionPlan =
    select === undefined
      ? { kind: 'public', keys: [...a.public_partitions!] }
      : {
          kind: 'private',
          epsilon: eps.partition_selection!,
          delta: select.delta,
          strategy: select.strategy,
          mechanism: partitionSelection({
            epsilon: eps.partition_selection!,
            delta: select.delta,
            maxPartitionsContributed: a.max_partitions_contributed,
            strategy: select.strategy,
          }),
        };
  const selEps = partitions.kind === 'private' ? partitions.epsilon : 0;
  const selDelta = partitions.kind === 'private' ? partitions.delta : 0;
  const statisticsDelta = statistics.reduce((acc, s) => acc + s.delta, 0);
  const cost = combine(
    ...statistics.map((s): PrivacyCost =>
      s.mechanism === 'discrete_gaussian'
        ? [{ measure: 'zcdp', rho: s.rho, epsilon: s.epsilon, delta: s.delta }]
        : pureCost(s.epsilon),
    ),
    ...(partitions.kind === 'private' ? [approxCost(selEps, selDelta)] : []),
  );
  return Object.freeze({
    name: a.name,
    description: a.description,
    partitionBy: a.partition_by,
    partitions,
    bounds,
    ...(a.max_contributions !== undefined ? { maxContributions: a.max_contributions } : {}),
    ...(value ? { value } : {}),
    ...(statistics.find((s) => s.grid) ? { grid: statistics.find((s) => s.grid)!.grid } : {}),
    ...(a.quantiles ? { quantiles: [...a.quantiles] } : {}),
    ...(statistics.find((s) => s.leaves) ? { quantileLeaves: statistics.find((s) => s.leaves)!.leaves } : {}),
    noise: a.noise,
    epsilon,
    delta: statisticsDelta + selDelta,
    cost,
    kind: a.statistics[0]!,
    statistics,
    window: a.window,
  });
}

/**
 * Plans every analysis. A parameter the DP engine rejects (e.g. a weighted Gaussian analysis left
 * with δ = 0) becomes a one-line `UserError` naming the analysis.
 */
export function planAll(config: PipelineConfig): AnalysisPlan[] {
  const budgets = resolveBudgets(config);
  return config.analyses.map((a, i) => {
    try {
      return planAnalysis(a, budgets.get(a.name));
    } catch (err) {
      if (err instanceof DpParameterError) throw new UserError(`analyses.${i} (${a.name}): ${err.message}`);
      throw err;
    }
  });
}
