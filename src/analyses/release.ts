import { sqlList, type Engine } from '../engine/duckdb.js';
import {
  describeGuarantee,
  newSamplingSalt,
  releaseCount,
  releaseMean,
  type RandomSource,
} from '../dp/index.js';
import { RELEASE_SCHEMA, type Release, type ReleasePartition, type ReleasePrivacy } from '../gold/release.js';
import { boundedAggregateSql } from './bounded-sql.js';
import type { AnalysisPlan } from './plan.js';

/** Silver rows per bounding query: keeps the engine's working set bounded on large windows. */
const ROWS_PER_BUCKET = 1_000_000;

export interface Window {
  /** `YYYY-MM` for a month. */
  readonly id: string;
  readonly start: string;
  readonly end: string;
}

/** Bounded per-partition aggregates: the only thing noise is added to. Never leaves this module. */
interface BoundedAggregate {
  readonly count: bigint;
  readonly normalizedSum: bigint;
}

/**
 * Receives the bounded (pre-noise) value of each partition: the count, or the mean of the
 * clamped, grid-rounded values (undefined when no row was kept). For the data owner's
 * evaluation only, whose results stay in `private/`; the release path never passes one.
 */
export type BoundedObserver = (windowId: string, key: string, bounded: number | undefined) => void;

/**
 * Computes DP releases of one analysis for several windows: bounded aggregates in DuckDB (one
 * scan, each window bounded separately with a fresh secret salt), then noise from the secure
 * samplers for every public partition (an empty partition is released as 0 + noise, never
 * dropped).
 */
export async function computeReleases(
  engine: Engine,
  plan: AnalysisPlan,
  files: readonly string[],
  windows: readonly Window[],
  rng: RandomSource,
  meta: { runId: string; createdAt: string },
  observeBounded?: BoundedObserver,
): Promise<Map<string, Release>> {
  const aggregates = new Map<string, Map<string, BoundedAggregate>>();
  for (const w of windows) aggregates.set(w.id, new Map());
  if (files.length > 0 && windows.length > 0) {
    const salted = windows.map((w) => ({ ...w, salt: newSamplingSalt(rng) }));
    const [meta] = await engine.all<{ n: bigint | null }>(
      `SELECT sum(num_rows) AS n FROM parquet_file_metadata(${sqlList(files)})`,
    );
    const count = Math.max(1, Math.ceil(Number(meta?.n ?? 0) / ROWS_PER_BUCKET));
    for (let index = 0; index < count; index++) {
      const rows = await engine.all<{ w: string; pk: string; count: bigint; normalized_sum: bigint }>(
        boundedAggregateSql(plan, files, salted, { index, count }),
      );
      for (const r of rows) {
        const byKey = aggregates.get(r.w)!;
        const prev = byKey.get(r.pk) ?? { count: 0n, normalizedSum: 0n };
        byKey.set(r.pk, {
          count: prev.count + BigInt(r.count),
          normalizedSum: prev.normalizedSum + BigInt(r.normalized_sum),
        });
      }
    }
  }
  const zero: BoundedAggregate = { count: 0n, normalizedSum: 0n };
  const releases = new Map<string, Release>();
  for (const window of windows) {
    const byKey = aggregates.get(window.id)!;
    const partitions: ReleasePartition[] = plan.publicPartitions.map((key) => {
      const agg = byKey.get(key) ?? zero;
      observeBounded?.(window.id, key, boundedValue(plan, agg));
      const noisy =
        plan.kind === 'count'
          ? releaseCount(plan.mechanism, agg.count, rng)
          : releaseMean(plan.mechanism, { count: agg.count, normalizedSum: agg.normalizedSum }, rng);
      return { key, value: noisy.value, ci95: [noisy.ci95[0], noisy.ci95[1]] as const };
    });
    releases.set(window.id, {
      schema: RELEASE_SCHEMA,
      analysis: plan.name,
      statistic: plan.kind,
      privacy_unit: 'user',
      partition_by: plan.partitionBy,
      window: { start: window.start, end: window.end },
      privacy: privacyOf(plan),
      description: plan.description,
      guarantee: describeGuarantee(plan.epsilon, plan.bounds),
      partitions,
      created_at: meta.createdAt,
      run_id: meta.runId,
    });
  }
  aggregates.clear();
  return releases;
}

function boundedValue(plan: AnalysisPlan, agg: BoundedAggregate): number | undefined {
  if (plan.kind === 'count') return Number(agg.count);
  if (agg.count === 0n) return undefined;
  const m = plan.mechanism;
  // Inverse of the normalization in bounded-sql.ts: mean of q·g where Σ(2q − (lo+hi)) = normalizedSum.
  const mid2 = Number(m.loUnits + m.hiUnits);
  return (m.granularity * (mid2 + Number(agg.normalizedSum) / Number(agg.count))) / 2;
}

function privacyOf(plan: AnalysisPlan): ReleasePrivacy {
  const common = {
    epsilon: plan.epsilon,
    delta: 0,
    mechanism: 'discrete_laplace' as const,
    max_partitions_contributed: plan.bounds.maxPartitionsContributed,
    max_contributions_per_partition: plan.bounds.maxContributionsPerPartition,
  };
  if (plan.kind === 'count') {
    return {
      ...common,
      noise_scale: plan.mechanism.scaleNumber,
      interval_method:
        'exact: value ± h, the smallest h with P(|noise| > h) ≤ 5% under the discrete Laplace distribution (covers the bounded count with probability ≥ 95%)',
    };
  }
  const m = plan.mechanism;
  const ratio = (r: { num: bigint; den: bigint }): number => Number(r.num) / Number(r.den);
  return {
    ...common,
    noise_scale: ratio(m.countScale),
    sum_noise_scale: (ratio(m.sumScale) * m.granularity) / 2,
    granularity: m.granularity,
    bounds: [m.lo, m.hi],
    unit: plan.unit,
    interval_method:
      'exact, conservative: extremes of the mean over 97.5% intervals of both the noisy count and the noisy sum (joint coverage ≥ 95%), clamped to the bounds',
  };
}
