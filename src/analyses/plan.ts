import type { AnalysisConfig, PipelineConfig } from '../config/index.js';
import {
  countMechanism,
  meanMechanism,
  type ContributionBounds,
  type CountMechanism,
  type MeanMechanism,
} from '../dp/index.js';

interface PlanBase {
  readonly name: string;
  readonly description: string;
  readonly partitionBy: string;
  readonly publicPartitions: readonly string[];
  readonly bounds: ContributionBounds;
  readonly epsilon: number;
  readonly window: 'month';
}

export interface CountPlan extends PlanBase {
  readonly kind: 'count';
  readonly mechanism: CountMechanism;
}

export interface MeanPlan extends PlanBase {
  readonly kind: 'mean';
  readonly valueColumn: string;
  readonly unit: string;
  readonly mechanism: MeanMechanism;
}

/** One analysis, resolved up front: bounds, mechanism and budget are fixed before any data is read. */
export type AnalysisPlan = CountPlan | MeanPlan;

export function planAnalysis(a: AnalysisConfig): AnalysisPlan {
  const bounds: ContributionBounds = {
    maxPartitionsContributed: a.max_partitions_contributed,
    maxContributionsPerPartition: a.max_contributions_per_partition,
  };
  const base = {
    name: a.name,
    description: a.description,
    partitionBy: a.partition_by,
    publicPartitions: [...a.public_partitions],
    bounds,
    epsilon: a.epsilon,
    window: a.window,
  };
  if (a.statistic === 'count') {
    return Object.freeze({ ...base, kind: 'count', mechanism: countMechanism(a.epsilon, bounds) });
  }
  return Object.freeze({
    ...base,
    kind: 'mean',
    valueColumn: a.value,
    unit: a.unit,
    mechanism: meanMechanism(a.epsilon, bounds, a.bounds[0], a.bounds[1]),
  });
}

export function planAll(config: PipelineConfig): AnalysisPlan[] {
  return config.analyses.map(planAnalysis);
}
