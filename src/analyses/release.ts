import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine/duckdb.js';
import { describeGuarantee, newSamplingSalt, selectPartition, type RandomSource } from '../dp/index.js';
import {
  RELEASE_SCHEMA,
  type Release,
  type ReleasePartition,
  type ReleasePrivacy,
  type ReleaseValue,
  type StatisticPrivacy,
} from '../gold/release.js';
import { boundedFromStagedSql, stagedColumns, type StagedWindow } from './bounded-sql.js';
import { selectBoundsForWindow } from './bound-selection.js';
import {
  addProfileRows,
  emptyProfile,
  profileFromStagedSql,
  type ProfileRow,
} from './contribution-profile.js';
import { boundingPlanOf } from './bounding-plan.js';
import type { AnalysisPlan } from './plan.js';
import type { SilverSource } from '../silver/silver-source.js';
import { stageBuckets, type StagedBuckets } from './staging.js';
import { EMPTY_AGGREGATE, type BoundedAggregate } from './statistics.js';

export interface Window {
  /** `YYYY-MM` for a month. */
  readonly id: string;
  readonly start: string;
  readonly end: string;
}

interface AggregateRow {
  w: string;
  pk: string;
  count: bigint;
  users: bigint;
  normalized_sum: bigint;
  normalized_sum_squares: bigint;
  /** A DuckDB LIST of STRUCT {x, n}, as the node API returns it. */
  histogram?: unknown;
}

/** The (leaf, rows) pairs of a `histogram` column value (a DuckDB LIST of STRUCT {x, n}). */
export function histogramEntries(value: unknown): { x: bigint; n: bigint }[] {
  if (value === null || value === undefined) return [];
  const items = (value as { items?: { entries?: { x: unknown; n: unknown } }[] }).items ?? [];
  return items.map((item) => ({
    x: BigInt(item.entries!.x as bigint),
    n: BigInt(item.entries!.n as bigint),
  }));
}

/** Bounded aggregates of one analysis: window id → partition key → aggregate. */
export type WindowAggregates = Map<string, Map<string, BoundedAggregate>>;

/**
 * One analysis and the windows it is bounded in: one bounding query (per user bucket) for all of
 * them, each window bounded and released with its own plan ({@link windowPlanOf}).
 */
export interface BoundingJob {
  readonly plan: AnalysisPlan;
  readonly windows: readonly Window[];
  /**
   * By window id, the plan finalized for that window when its bounds were chosen privately
   * (automatic bounds: each window's own L0, Linf and clamp); a window not here uses `plan`.
   */
  readonly windowPlans?: ReadonlyMap<string, AnalysisPlan>;
}

/** The plan a job's window is bounded and released with. */
export function windowPlanOf(job: BoundingJob, windowId: string): AnalysisPlan {
  return job.windowPlans?.get(windowId) ?? job.plan;
}

/**
 * Bounded per-partition aggregates of every window, from one bounding pass per user bucket.
 * Exported for tests and measurements that compare DP outputs with the exact bounded values;
 * nothing here may reach Gold.
 */
export async function boundedAggregates(
  engine: Engine,
  plan: AnalysisPlan,
  silver: SilverSource,
  windows: readonly Window[],
  rng: RandomSource,
): Promise<WindowAggregates> {
  const [aggregates] = await boundedAggregatesOfAll(engine, [{ plan, windows }], silver, rng);
  return aggregates!;
}

/**
 * Bounded aggregates of several analyses (in the order of `jobs`) over the same Silver files,
 * each user being the privacy unit of `silver` (the person, whatever the key version),
 * sharing the work that does not depend on the analysis: the rows of every job's windows are
 * staged once by user bucket (about `rowsPerBucket` rows each, default 1M, to keep the engine's
 * working set bounded; see `stageBuckets`, under `scratchDir` when given), then per bucket its
 * rows go into a temporary table, with each user's row count per window, from which each analysis
 * bounds and aggregates. Time grows linearly with the rows: each bucket reads only its own users'
 * rows. Every (analysis, window) gets its own fresh secret salt, as when computed alone: drawn
 * from `rng` job by job, window by window.
 */
export async function boundedAggregatesOfAll(
  engine: Engine,
  jobs: readonly BoundingJob[],
  silver: SilverSource,
  rng: RandomSource,
  options: StagingOptions = {},
): Promise<WindowAggregates[]> {
  const results = emptyResults(jobs);
  const { staged, indexOf } = stagedWindowsOf(jobs);
  if (silver.files.length === 0 || staged.length === 0) return results;
  const salted = saltsOf(jobs, indexOf, rng);
  const staging = await stageRows(engine, silver, staged, jobs, options);
  const rows = new BucketRows(engine, staging);
  try {
    await rows.each((table) => boundBucket(engine, table, jobs, salted, results));
  } finally {
    await rows.close();
    await staging.close();
  }
  return results;
}

/** Where and how finely `stageBuckets` splits the rows (defaults: 1M rows a bucket, own scratch dir). */
export interface StagingOptions {
  readonly rowsPerBucket?: number;
  readonly scratchDir?: string;
}

/**
 * Bounded aggregates of analyses whose bounds may still have to be chosen, over ONE staging of the
 * rows (see {@link boundedAggregatesOfAll}): a first pass over the user buckets computes every
 * automatic-bounds analysis's exact contribution profile per window (profiles of disjoint users
 * add up), the bounds are chosen privately per (analysis, window) from the noisy profile
 * (`selectBoundsForWindow`, spending the plan's `selection.epsilon`, part of its ε), and a second
 * pass over the same buckets bounds every analysis: one query per analysis and bucket, each window
 * with its own chosen bounds. Returns the jobs, in the order of `work`, each with its windows'
 * finalized plans (`windowPlans`), and their aggregates. From `rng`, in this order: one profile
 * salt per automatic analysis, the profiles' noise analysis by analysis and window by window, then
 * the bounding salts as {@link boundedAggregatesOfAll} draws them (analysis by analysis, window by
 * window).
 */
export async function boundWithSelection(
  engine: Engine,
  work: readonly BoundingJob[],
  silver: SilverSource,
  rng: RandomSource,
  options: StagingOptions = {},
): Promise<{ jobs: BoundingJob[]; aggregates: WindowAggregates[] }> {
  const { staged, indexOf } = stagedWindowsOf(work);
  const auto = work.filter((j) => j.plan.selection !== undefined);
  const profiles = new Map(
    auto.map((j) => [j, new Map(j.windows.map((w) => [w.id, emptyProfile(j.plan.value !== undefined)]))]),
  );
  const data = silver.files.length > 0 && staged.length > 0;
  const staging = data ? await stageRows(engine, silver, staged, work, options) : undefined;
  // Both passes read the same bucket tables: one bucket (the GA360 year) is read from Silver once.
  const rows = staging ? new BucketRows(engine, staging) : undefined;
  try {
    if (rows && auto.length > 0) {
      const passes = auto.map((job) => ({
        profile: profiles.get(job)!,
        plan: boundingPlanOf(
          job.plan,
          job.windows.map((w) => ({ index: indexOf(w), id: w.id, salt: '' })),
        ),
        salt: newSamplingSalt(rng),
      }));
      await rows.each(async (table) => {
        for (const p of passes) {
          addProfileRows(
            p.profile,
            await engine.all<ProfileRow>(profileFromStagedSql(p.plan, table, p.salt)),
          );
        }
      });
    }
    const jobs = work.map((job): BoundingJob => {
      const profile = profiles.get(job);
      if (!profile) return job;
      return {
        ...job,
        windowPlans: new Map(
          job.windows.map((w) => [w.id, selectBoundsForWindow(job.plan, profile.get(w.id)!, rng)]),
        ),
      };
    });
    const results = emptyResults(jobs);
    if (rows) {
      const salted = saltsOf(jobs, indexOf, rng);
      await rows.each((table) => boundBucket(engine, table, jobs, salted, results));
    }
    return { jobs, aggregates: results };
  } finally {
    await rows?.close();
    await staging?.close();
  }
}

function emptyResults(jobs: readonly BoundingJob[]): WindowAggregates[] {
  return jobs.map(({ windows }) => new Map(windows.map((w) => [w.id, new Map()])) as WindowAggregates);
}

/** The distinct windows of some jobs (staged once each), and each window's index among them. */
function stagedWindowsOf(jobs: readonly BoundingJob[]): { staged: Window[]; indexOf: (w: Window) => number } {
  const staged: Window[] = [];
  const index = new Map<string, number>();
  const id = (w: Window): string => `${w.id}|${w.start}|${w.end}`;
  for (const w of jobs.flatMap((j) => j.windows)) {
    if (!index.has(id(w))) index.set(id(w), staged.push(w) - 1);
  }
  return { staged, indexOf: (w) => index.get(id(w))! };
}

/** A fresh secret salt per (job, window): drawn from `rng` job by job, window by window. */
function saltsOf(
  jobs: readonly BoundingJob[],
  indexOf: (w: Window) => number,
  rng: RandomSource,
): StagedWindow[][] {
  return jobs.map(({ windows }) =>
    windows.map((w) => ({ index: indexOf(w), id: w.id, salt: newSamplingSalt(rng) })),
  );
}

function stageRows(
  engine: Engine,
  silver: SilverSource,
  staged: readonly Window[],
  jobs: readonly BoundingJob[],
  options: StagingOptions,
): Promise<StagedBuckets> {
  return stageBuckets(engine, silver, staged, stagedColumns(jobs.map((j) => j.plan)), {
    ...(options.rowsPerBucket !== undefined ? { rowsPerBucket: options.rowsPerBucket } : {}),
    ...(options.scratchDir !== undefined ? { dir: options.scratchDir } : {}),
  });
}

/**
 * The staged buckets' rows, put one bucket at a time into a temporary table that passes read. A
 * pass starts with the bucket the table already holds, which is not read again: with one bucket
 * (up to `rowsPerBucket` rows, e.g. the GA360 year) a profile pass and the bounding pass share one
 * read of Silver, and with several the second pass reads one bucket less. Bucket order does not
 * matter: every sum and profile adds up over disjoint sets of users.
 */
class BucketRows {
  readonly #table = `bounding_rows_${randomBytes(8).toString('hex')}`;
  #loaded: number | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly staging: StagedBuckets,
  ) {}

  /** Runs `pass` on each bucket's rows (the table's name), one bucket after another. */
  async each(pass: (table: string) => Promise<void>): Promise<void> {
    const loaded = this.#loaded;
    const order =
      loaded === undefined
        ? this.staging.buckets
        : [loaded, ...this.staging.buckets.filter((b) => b !== loaded)];
    for (const bucket of order) {
      if (this.#loaded !== bucket) {
        this.#loaded = undefined;
        await this.engine.run(
          `CREATE OR REPLACE TEMP TABLE ${this.#table} AS ${this.staging.rowsSql(bucket)}`,
        );
        this.#loaded = bucket;
      }
      await pass(this.#table);
    }
  }

  async close(): Promise<void> {
    this.#loaded = undefined;
    await this.engine.run(`DROP TABLE IF EXISTS ${this.#table}`);
  }
}

/** Bounds every job over one bucket's rows and adds the aggregates to `results`. */
async function boundBucket(
  engine: Engine,
  table: string,
  jobs: readonly BoundingJob[],
  salted: readonly StagedWindow[][],
  results: WindowAggregates[],
): Promise<void> {
  for (const [i, job] of jobs.entries()) {
    if (salted[i]!.length === 0) continue;
    const sql = boundedFromStagedSql(job.plan, table, salted[i]!, (w) => windowPlanOf(job, w.id));
    mergeRows(results[i]!, await engine.all<AggregateRow>(sql));
  }
}

/** Adds one bucket's rows to the aggregates: every sum is additive over disjoint sets of users. */
function mergeRows(aggregates: WindowAggregates, rows: readonly AggregateRow[]): void {
  for (const r of rows) {
    const byKey = aggregates.get(r.w)!;
    const prev = byKey.get(r.pk) ?? EMPTY_AGGREGATE;
    let histogram = prev.histogram;
    if (r.histogram) {
      const merged = new Map(prev.histogram ?? []);
      for (const { x, n } of histogramEntries(r.histogram)) {
        merged.set(BigInt(x), (merged.get(BigInt(x)) ?? 0n) + BigInt(n));
      }
      histogram = merged;
    }
    byKey.set(r.pk, {
      count: prev.count + BigInt(r.count),
      users: prev.users + BigInt(r.users),
      normalizedSum: prev.normalizedSum + BigInt(r.normalized_sum),
      normalizedSumSquares: prev.normalizedSumSquares + BigInt(r.normalized_sum_squares),
      ...(histogram ? { histogram } : {}),
    });
  }
}

/**
 * Receives the bounded (pre-noise) value of each partition: the count, or the mean of the
 * clamped, grid-rounded values (undefined when no row was kept). For the data owner's
 * evaluation only, whose results stay in `private/`; the release path never passes one.
 */
export type BoundedObserver = (windowId: string, key: string, bounded: number | undefined) => void;

/**
 * Computes DP releases of one analysis for several windows: automatic bounds chosen per window
 * ({@link boundWithSelection}), bounded aggregates in DuckDB (one scan, each window bounded separately
 * with a fresh secret salt), then noise from the secure
 * samplers for every statistic of every released partition. Public partitions are all released
 * (an empty one as 0 + noise, never dropped).
 */
export async function computeReleases(
  engine: Engine,
  plan: AnalysisPlan,
  silver: SilverSource,
  windows: readonly Window[],
  rng: RandomSource,
  meta: { runId: string; createdAt: string },
  observeBounded?: BoundedObserver,
): Promise<Map<string, Release>> {
  const { jobs, aggregates } = await boundWithSelection(engine, [{ plan, windows }], silver, rng);
  return releasesOf(jobs[0]!, aggregates[0]!, rng, meta, observeBounded);
}

/**
 * The DP releases of one analysis from its bounded aggregates ({@link boundedAggregatesOfAll}):
 * noise from the secure samplers for every statistic of every released partition, each window
 * with its own plan (its chosen bounds, which its release states). Consumes `aggregates` (cleared
 * once used).
 */
export function releasesOf(
  job: BoundingJob,
  aggregates: WindowAggregates,
  rng: RandomSource,
  meta: { runId: string; createdAt: string },
  observeBounded?: BoundedObserver,
): Map<string, Release> {
  const releases = new Map<string, Release>();
  for (const window of job.windows) {
    const plan = windowPlanOf(job, window.id);
    const byKey = aggregates.get(window.id)!;
    if (observeBounded) {
      const candidates = plan.partitions.kind === 'public' ? plan.partitions.keys : [...byKey.keys()];
      for (const key of candidates)
        observeBounded(window.id, key, boundedValue(plan, byKey.get(key) ?? EMPTY_AGGREGATE));
    }
    const partitions: ReleasePartition[] = releasedKeys(plan, byKey, rng).map((key) => {
      const agg = byKey.get(key) ?? EMPTY_AGGREGATE;
      const outputs: Record<string, ReleaseValue> = {};
      for (const s of plan.statistics) {
        for (const [name, out] of Object.entries(s.release(agg, rng))) {
          outputs[name] = { value: out.value, ci95: [out.ci95[0], out.ci95[1]] };
        }
      }
      const first = outputs[plan.statistics[0]!.outputs[0]!]!;
      return { key, value: first.value, ci95: first.ci95, statistics: outputs };
    });
    releases.set(window.id, {
      schema: RELEASE_SCHEMA,
      analysis: plan.name,
      statistic: plan.kind,
      statistics: plan.statistics.flatMap((s) => s.statistics),
      outputs: plan.statistics.flatMap((s) => s.outputs),
      privacy_unit: 'user',
      partition_by: plan.partitionBy,
      window: { start: window.start, end: window.end },
      privacy: privacyOf(plan),
      description: plan.description,
      estimand: plan.estimand,
      guarantee: guaranteeOf(plan),
      partitions,
      created_at: meta.createdAt,
      run_id: meta.runId,
    });
  }
  aggregates.clear();
  return releases;
}

/**
 * Public partitions: all of them. Private: each key seen in the bounded data is kept or dropped by
 * DP partition selection on its number of distinct (bounded) users; a dropped key is not a zero.
 */
function releasedKeys(
  plan: AnalysisPlan,
  byKey: ReadonlyMap<string, BoundedAggregate>,
  rng: RandomSource,
): readonly string[] {
  const p = plan.partitions;
  if (p.kind === 'public') return p.keys;
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .filter(([, agg]) => selectPartition(p.mechanism, agg.users, rng))
    .map(([key]) => key);
}

/**
 * The exact bounded (pre-noise) value of the analysis's first statistic, for the data owner's
 * evaluation only; undefined when there is none (no kept row for a mean, or a quantile).
 */
function boundedValue(plan: AnalysisPlan, agg: BoundedAggregate): number | undefined {
  const g = plan.grid;
  // Inverse of the normalization in bounded-sql.ts: Σ(2q − (lo+hi)) = normalizedSum, value = q·g.
  const sumOfUnits = g
    ? (Number(agg.normalizedSum) + Number(agg.count) * Number(g.loUnits + g.hiUnits)) / 2
    : 0;
  switch (plan.kind) {
    case 'count':
      return Number(agg.count);
    case 'privacy_id_count':
      return Number(agg.users);
    case 'sum':
      return g ? g.granularity * sumOfUnits : undefined;
    case 'mean':
      return g && agg.count > 0n ? (g.granularity * sumOfUnits) / Number(agg.count) : undefined;
    default:
      return undefined;
  }
}

/** The guarantee sentence, with the private bound selection when there was one. */
function guaranteeOf(plan: AnalysisPlan): string {
  const base = describeGuarantee(plan.epsilon, plan.bounds);
  const sel = plan.boundsSelection;
  if (!sel) return base;
  return `${base} The bounds were chosen privately from this window's data, spending ε = ${Number(sel.epsilon.toPrecision(6))} of that ε.`;
}

function privacyOf(plan: AnalysisPlan): ReleasePrivacy {
  const first = plan.statistics[0]!;
  const statistics: Record<string, StatisticPrivacy> = {};
  for (const s of plan.statistics) {
    for (const out of s.outputs) {
      statistics[out] = {
        mechanism: s.mechanism,
        epsilon: s.epsilon,
        delta: s.delta,
        ...s.parameters,
        interval_method: s.intervalMethods[out] ?? Object.values(s.intervalMethods)[0]!,
      };
    }
  }
  const p = first.parameters;
  const noiseScale = p.noise_scale;
  return {
    epsilon: plan.epsilon,
    delta: plan.delta,
    mechanism: first.mechanism,
    noise_scale: typeof noiseScale === 'number' ? noiseScale : 0,
    max_partitions_contributed: plan.bounds.maxPartitionsContributed,
    max_contributions_per_partition: plan.bounds.maxContributionsPerPartition,
    ...(typeof p.sum_noise_scale === 'number' ? { sum_noise_scale: p.sum_noise_scale } : {}),
    ...(typeof p.granularity === 'number' ? { granularity: p.granularity } : {}),
    ...(plan.value ? { bounds: [plan.value.lo, plan.value.hi] as const, unit: plan.value.unit } : {}),
    interval_method: first.intervalMethods[first.outputs[0]!]!,
    statistics,
    ...(plan.boundsSelection ? { bounds_selection: plan.boundsSelection } : {}),
    ...(plan.partitions.kind === 'private'
      ? {
          partition_selection: {
            strategy: plan.partitions.strategy,
            epsilon: plan.partitions.epsilon,
            delta: plan.partitions.delta,
            note: 'Keys were chosen privately: only keys with enough distinct users are likely to appear. A key absent from partitions is not a zero; it was not selected.',
          },
        }
      : {}),
  };
}
