import { sqlString, type Engine } from '../engine/duckdb.js';
import { countMechanism, newSamplingSalt, releaseCount, type RandomSource } from '../dp/index.js';
import type { SilverSource } from '../silver/silver-source.js';
import { stagedColumns, stagedFilter, stagedRowsSql, valueColumnSql } from './bounded-sql.js';
import { boundingPlanOf, type BoundingPlan } from './bounding-plan.js';
import type { AnalysisPlan } from './plan.js';
import type { Window } from './release.js';

/**
 * Upper edges of the contribution buckets (partitions per user, rows per user and partition):
 * 1, 2, 3, 4, 6, 8, 12, …, 256 (powers of two and 1.5 × them), then "more" (past 256). They are
 * also the public candidate grid of automatic L0 / Linf. Few buckets keep each one's count well
 * above the noise where the tail thins out.
 */
export const CONTRIBUTION_BUCKETS: readonly number[] = [
  1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256,
];
/** Value buckets: [0, 1), then [2^k − 1, 2^(k+1) − 1) for k = 1…40 (values are clamped at 0). */
export const VALUE_BUCKET_COUNT = 41;

/** The upper value edge of value bucket `i`: 2^(i+1) − 1 (the candidate clamps of automatic bounds). */
export function valueBucketUpper(i: number): number {
  return 2 ** (i + 1) - 1;
}

/** The contribution bucket of `n` (index into {@link CONTRIBUTION_BUCKETS}, or its length for "more"). */
export function contributionBucket(n: number): number {
  const i = CONTRIBUTION_BUCKETS.findIndex((b) => n <= b);
  return i === -1 ? CONTRIBUTION_BUCKETS.length : i;
}

/**
 * A contribution profile of one analysis in one window: how many users fall in each bucket of
 * partitions touched (`partitions`), most rows in one partition (`rows`) and, for value analyses,
 * of one of their values chosen by a keyed hash (`values`). Exact profiles are private; noisy
 * ones ({@link noisyProfile}) are DP outputs.
 */
export interface ContributionProfile<C> {
  readonly partitions: readonly C[];
  readonly rows: readonly C[];
  readonly values?: readonly C[];
}

/** An empty profile (all buckets 0) of an analysis with or without a value. */
export function emptyProfile(withValues: boolean): ContributionProfile<bigint> {
  return {
    partitions: new Array<bigint>(CONTRIBUTION_BUCKETS.length + 1).fill(0n),
    rows: new Array<bigint>(CONTRIBUTION_BUCKETS.length + 1).fill(0n),
    ...(withValues ? { values: new Array<bigint>(VALUE_BUCKET_COUNT).fill(0n) } : {}),
  };
}

/**
 * The exact profile rows of a plan's windows over `staged` (rows as `stagedRowsSql` yields them,
 * `w` being each window's `index`): per window, how many users touch `np` partitions, have at most
 * `maxn` rows in one of them and (value analyses) one value, chosen by a hash keyed with the
 * secret `salt`, in value bucket `vb`. Rows are those the bounding reads (the same row filter and
 * missing-value rule, `stagedFilter`/`valueColumnSql`). A user's figures depend on that user's rows
 * alone, so profiles of disjoint sets of users (user buckets) add up. Fold with {@link addProfileRows}.
 */
export function profileFromStagedSql(plan: BoundingPlan, staged: string, salt: string): string {
  const { column } = plan.partition;
  const v = plan.value !== undefined;
  const windows = plan.windows.map((w) => `(${w.index}, ${sqlString(w.id)})`).join(', ');
  // A user with one row in the window (n = 1: most users of a month) touches one partition once
  // and that row is their value: only the other users' rows need grouping by user (as in bounding).
  const src = `SELECT w, pid, rid, n, CAST(${column} AS VARCHAR) AS pk${v ? `, ${valueColumnSql(plan)} AS v` : ''}
    FROM ${staged} WHERE ${stagedFilter(plan)}`;
  const vb = (x: string): string =>
    `least(${VALUE_BUCKET_COUNT - 1}, CAST(floor(log2(greatest(CAST(${x} AS DOUBLE), 0) + 1)) AS INTEGER))`;
  const body = v
    ? `cells AS (
  SELECT w, pid, pk, count(*) AS n, min(h) AS h, arg_min(v, h) AS v
  FROM (SELECT *, hash(${sqlString(salt)} || '|' || pid || '|' || rid) AS h FROM src WHERE n > 1) GROUP BY ALL
),
users AS (
  SELECT w, count(*) AS np, max(n) AS maxn, arg_min(v, h) AS v FROM cells GROUP BY w, pid
  UNION ALL
  SELECT w, 1 AS np, 1 AS maxn, v FROM src WHERE n = 1
),
hist AS (SELECT w, np, maxn, ${vb('v')} AS vb, count(*) AS users FROM users GROUP BY ALL)`
    : `cells AS (SELECT w, pid, pk, count(*) AS n FROM src WHERE n > 1 GROUP BY ALL),
users AS (
  SELECT w, count(*) AS np, max(n) AS maxn FROM cells GROUP BY w, pid
  UNION ALL
  SELECT w, 1 AS np, 1 AS maxn FROM src WHERE n = 1
),
hist AS (SELECT w, np, maxn, NULL AS vb, count(*) AS users FROM users GROUP BY ALL)`;
  return `WITH windows(w, id) AS (VALUES ${windows}),
src AS MATERIALIZED (
  ${src}
),
${body}
SELECT windows.id AS w, np, maxn, vb, users FROM hist JOIN windows USING (w)`;
}

/** One line of {@link profileFromStagedSql}'s result. */
export interface ProfileRow {
  readonly w: string;
  readonly np: bigint;
  readonly maxn: bigint;
  readonly vb: number | null;
  readonly users: bigint;
}

/** Adds profile rows to the profiles of their windows (by window id). */
export function addProfileRows(
  profiles: ReadonlyMap<string, ContributionProfile<bigint>>,
  rows: readonly ProfileRow[],
): void {
  for (const r of rows) {
    const p = profiles.get(r.w)!;
    const users = BigInt(r.users);
    (p.partitions as bigint[])[contributionBucket(Number(r.np))]! += users;
    (p.rows as bigint[])[contributionBucket(Number(r.maxn))]! += users;
    if (r.vb !== null && p.values) (p.values as bigint[])[r.vb]! += users;
  }
}

/**
 * The exact profile of each window of one analysis, from one query over Silver for all windows
 * (`explain --utility`; a release reads the profile from its run's staged rows instead). A user is
 * the privacy unit of `silver` (the person across key versions) and falls in exactly one bucket of
 * each histogram, so each histogram has sensitivity 1.
 */
export async function exactProfiles(
  engine: Engine,
  plan: AnalysisPlan,
  silver: SilverSource,
  windows: readonly Window[],
  rng: RandomSource,
): Promise<Map<string, ContributionProfile<bigint>>> {
  const out = new Map(windows.map((w) => [w.id, emptyProfile(plan.value !== undefined)]));
  if (silver.files.length === 0 || windows.length === 0) return out;
  const salt = newSamplingSalt(rng);
  const bp = boundingPlanOf(
    plan,
    windows.map((w, index) => ({ index, id: w.id, salt })),
  );
  const staged = `(${stagedRowsSql(stagedColumns([plan]), silver, windows)})`;
  addProfileRows(out, await engine.all<ProfileRow>(profileFromStagedSql(bp, staged, salt)));
  return out;
}

/**
 * Budget weights of the histograms: rows per partition (Linf, and every bias estimate) weigh 2,
 * partitions per user 1, values 3 (the clamp's tail is the thinnest data the choice reads).
 */
const WEIGHTS = { partitions: 1, rows: 2, values: 3 } as const;

/**
 * The profile with discrete Laplace noise on every bucket: each histogram has sensitivity 1 and
 * gets its weighted share of ε (see {@link WEIGHTS}), so the profile is ε-DP by composition. Buckets
 * are public and all released; the noisy counts are kept as drawn (possibly negative), for the
 * reader to post-process. `scales` are the discrete Laplace scales of each histogram.
 */
export function noisyProfile(
  exact: ContributionProfile<bigint>,
  epsilon: number,
  rng: RandomSource,
): ContributionProfile<number> & { readonly scales: ContributionProfile<number> } {
  const total = WEIGHTS.partitions + WEIGHTS.rows + (exact.values ? WEIGHTS.values : 0);
  const noisy = (h: readonly bigint[], weight: number): { counts: number[]; scale: number } => {
    const eps = (epsilon * weight) / total;
    const mech = countMechanism(eps, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 });
    return { counts: h.map((c) => releaseCount(mech, c, rng).value), scale: 1 / eps };
  };
  const partitions = noisy(exact.partitions, WEIGHTS.partitions);
  const rows = noisy(exact.rows, WEIGHTS.rows);
  const values = exact.values ? noisy(exact.values, WEIGHTS.values) : undefined;
  return {
    partitions: partitions.counts,
    rows: rows.counts,
    ...(values ? { values: values.counts } : {}),
    scales: {
      partitions: [partitions.scale],
      rows: [rows.scale],
      ...(values ? { values: [values.scale] } : {}),
    },
  };
}
