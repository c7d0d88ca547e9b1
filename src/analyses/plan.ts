import type { AnalysisConfig, PipelineConfig, StatisticName } from '../config/index.js';
import type { BoundsSelectionPrivacy } from '../gold/release.js';
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
    /** A row without a value counts as 0 (`zero`) or is left out (`exclude`). */
    readonly missing: 'zero' | 'exclude';
  };
  /** What the analysis estimates, in words (e.g. "mean time on site per session, a session without one counted as 0"). */
  readonly estimand: string;
  /**
   * Automatic bounds: present on the plan from the config when any bound is `"auto"`; its bounds
   * are then placeholders until `finalize` fixes them for one window ({@link BoundSelectionPlan}).
   */
  readonly selection?: BoundSelectionPlan;
  /** On a finalized plan: the bounds chosen privately for its window, a public parameter of the release. */
  readonly boundsSelection?: BoundsSelectionRecord;
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

/** Which bounds of an analysis are chosen privately, and with what share of its ε. */
export interface BoundSelectionPlan {
  /** ε spent on the DP contribution profile (carved out of the analysis's ε). */
  readonly epsilon: number;
  readonly auto: { readonly l0: boolean; readonly linf: boolean; readonly clamp: boolean };
  /** The plan with the given bounds for one window: same ε and cost in total, statistics calibrated to them. */
  finalize(chosen: ChosenBounds, record: BoundsSelectionRecord): AnalysisPlan;
}

/** Bounds of one (analysis, window). */
export interface ChosenBounds {
  readonly l0: number;
  readonly linf: number;
  /** Upper value clamp (the lower one stays the configured or 0). */
  readonly hi?: number;
}

/** The public record of a private bound selection: the release's `privacy.bounds_selection`. */
export type BoundsSelectionRecord = BoundsSelectionPrivacy;

/** Placeholder upper clamp of `"auto"` value bounds before selection (what `explain` calibrates with). */
export const AUTO_PLACEHOLDER_HI = 1023;

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

/**
 * Plans one analysis. With `"auto"` bounds, `bounds_selection.epsilon_share` of its ε is carved
 * out for choosing them (per window, see `bound-selection.ts`); the statistics get the rest, so
 * the plan's ε and cost are exactly those configured. Until `selection.finalize` fixes them, the
 * automatic bounds are placeholders (L0 = Linf = 1, clamp [0, {@link AUTO_PLACEHOLDER_HI}]).
 */
export function planAnalysis(a: AnalysisConfig, budget?: AnalysisBudget): AnalysisPlan {
  const { epsilon, delta } = budget ?? { epsilon: a.epsilon!, delta: a.delta ?? 0 };
  const auto = {
    l0: a.max_partitions_contributed === 'auto',
    linf: a.max_contributions_per_partition === 'auto',
    clamp: a.bounds === 'auto',
  };
  if (!auto.l0 && !auto.linf && !auto.clamp) return planFixed(a, epsilon, delta);
  const selectEpsilon = epsilon * a.bounds_selection.epsilon_share;
  const concrete = (c: ChosenBounds): AnalysisConfig => ({
    ...a,
    max_partitions_contributed: c.l0,
    max_contributions_per_partition: c.linf,
    ...(a.bounds !== undefined
      ? { bounds: [a.bounds === 'auto' ? 0 : a.bounds[0], c.hi ?? AUTO_PLACEHOLDER_HI] as [number, number] }
      : {}),
  });
  const fixedOr = (x: number | 'auto'): number => (x === 'auto' ? 1 : x);
  const placeholder: ChosenBounds = {
    l0: fixedOr(a.max_partitions_contributed),
    linf: fixedOr(a.max_contributions_per_partition),
    ...(a.bounds !== undefined ? { hi: a.bounds === 'auto' ? AUTO_PLACEHOLDER_HI : a.bounds[1] } : {}),
  };
  const rest = planFixed(concrete(placeholder), epsilon - selectEpsilon, delta);
  // The selection's histograms are pure ε-DP (discrete Laplace), composed before the statistics.
  const cost = combine(pureCost(selectEpsilon), rest.cost);
  const selection: BoundSelectionPlan = {
    epsilon: selectEpsilon,
    auto,
    finalize: (chosen, record) =>
      Object.freeze({
        ...planFixed(concrete(chosen), epsilon - selectEpsilon, delta),
        epsilon,
        cost,
        boundsSelection: record,
      }),
  };
  return Object.freeze({ ...rest, epsilon, cost, selection });
}

/** The estimand of an analysis in words. */
function estimandOf(a: AnalysisConfig): string {
  const stat = a.statistics[0]!;
  const missing =
    a.missing_value === 'zero'
      ? `, a session without ${a.value} counted as 0`
      : `, sessions without ${a.value} left out`;
  switch (stat) {
    case 'count':
      return `number of sessions per ${a.partition_by}`;
    case 'privacy_id_count':
      return `number of distinct visitors per ${a.partition_by}`;
    case 'sum':
      return `total ${a.value} over sessions per ${a.partition_by}${missing}`;
    case 'mean':
      return `mean ${a.value} per session per ${a.partition_by}${missing}`;
    case 'variance':
      return `variance of ${a.value} over sessions per ${a.partition_by}${missing}`;
    case 'quantiles':
      return `quantiles of ${a.value} over sessions per ${a.partition_by}${missing}`;
  }
}

/** Plans one analysis whose bounds are all fixed numbers. */
function planFixed(a: AnalysisConfig, epsilon: number, delta: number): AnalysisPlan {
  const num = (x: number | 'auto'): number => {
    if (x === 'auto') throw new Error('internal: planFixed with "auto" bounds');
    return x;
  };
  const l0 = num(a.max_partitions_contributed);
  const bounds: ContributionBounds = {
    maxPartitionsContributed: l0,
    maxContributionsPerPartition: num(a.max_contributions_per_partition),
    ...(a.max_contributions !== undefined ? { maxContributions: a.max_contributions } : {}),
  };
  const value =
    a.value !== undefined && a.bounds !== undefined && a.bounds !== 'auto' && a.unit !== undefined
      ? { column: a.value, lo: a.bounds[0], hi: a.bounds[1], unit: a.unit, missing: a.missing_value }
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
            maxPartitionsContributed: l0,
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
    estimand: estimandOf(a),
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
