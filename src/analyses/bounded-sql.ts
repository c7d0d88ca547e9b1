import { createHash } from 'node:crypto';
import { sqlString } from '../engine/duckdb.js';
import type { SilverSource } from '../silver/silver-source.js';
import {
  boundingPlanOf,
  carriesValue,
  hasTotal,
  valueExpressions,
  windowColumns,
  type BoundingPlan,
  type StagedWindow,
} from './bounding-plan.js';
import type { AnalysisPlan } from './plan.js';

export type { StagedWindow } from './bounding-plan.js';

/** A window to bound in, with its own fresh secret sampling salt and, optionally, its own plan (bounds). */
export interface SaltedWindow {
  readonly id: string;
  readonly start: string;
  readonly end: string;
  readonly salt: string;
  /** The plan finalized for this window (automatic bounds); default the analysis's. */
  readonly plan?: AnalysisPlan;
}

/** Users split into `count` buckets by a hash of their privacy unit; this is bucket `index`. */
export interface UserBucket {
  readonly index: number;
  readonly count: number;
}

/** The Silver columns the plans read besides the user, session and date. */
export function stagedColumns(plans: readonly AnalysisPlan[]): string[] {
  return [...new Set(plans.flatMap((p) => [p.partitionBy, ...(p.value ? [p.value.column] : [])]))].sort();
}

/**
 * The bucket (0 ≤ b < `count`) of the privacy unit `unit` (a SQL expression of a string): the first
 * 32 bits of md5(unit), as an unsigned integer, modulo `count`. A user's rows all share a bucket
 * (it depends on the unit alone), so bounding bucket by bucket keeps each user's rows together.
 * Hashes only the unit string (formatted by our TypeScript), never an engine's value encoding, so
 * other engines compute the same buckets: Spark SQL
 * `pmod(CAST(conv(substr(md5(unit), 1, 8), 16, 10) AS BIGINT), count)`; TypeScript
 * {@link userBucketOf}.
 *
 * @example
 * ```ts
 * userBucketSql('pid', 8); // "CAST(('0x' || substr(md5(pid), 1, 8)) AS BIGINT) % 8"
 * ```
 */
export function userBucketSql(unit: string, count: number): string {
  return `CAST(('0x' || substr(md5(${unit}), 1, 8)) AS BIGINT) % ${count}`;
}

/** {@link userBucketSql} in TypeScript: the reference other engines' bucket functions are held to. */
export function userBucketOf(unit: string, count: number): number {
  return parseInt(createHash('md5').update(unit, 'utf8').digest('hex').slice(0, 8), 16) % count;
}

/**
 * The Silver rows in the windows, once per window a row's date lies in: `w` (index of the row's
 * window in `windows`), `pid` (the privacy unit: the person's link, stable across key versions,
 * never the per-key pseudonym), `session_id` and the given columns; with `bucketCount`, also `b`,
 * the user's bucket ({@link userBucketSql}). Pairwise disjoint windows (calendar months, say) map
 * each row to its window with a CASE on the date instead of a range join; overlapping ones fall
 * back to the join, a row once per window.
 */
export function windowRowsSql(
  columns: readonly string[],
  silver: SilverSource,
  windows: readonly { readonly start: string; readonly end: string }[],
  options: { readonly bucketCount?: number; readonly where?: string } = {},
): string {
  const date = (d: string): string => `DATE ${sqlString(d)}`;
  const cols = columns.map((c) => `, ${c}`).join('');
  const b =
    options.bucketCount !== undefined ? `, ${userBucketSql(silver.unit, options.bucketCount)} AS b` : '';
  // Only dates in some window, as plain range filters the Parquet reader can apply.
  const filters = [
    `(${dateSpans(windows)
      .map(([start, end]) => `date BETWEEN ${date(start)} AND ${date(end)}`)
      .join(' OR ')})`,
    ...(options.where !== undefined ? [options.where] : []),
  ].join(' AND ');
  const parquet = silver.relation;
  const sorted = windows
    .map((w, i) => ({ ...w, i }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const disjoint = sorted.every((w, k) => k === 0 || sorted[k - 1]!.end < w.start);
  // Disjoint windows: a date that passed the filter lies in the first window (by start) not
  // ending before it, so one comparison per window finds it.
  return disjoint
    ? `SELECT CASE ${sorted.map((w) => `WHEN date <= ${date(w.end)} THEN ${w.i}`).join(' ')} END AS w,
    ${silver.unit} AS pid, session_id${cols}${b}
  FROM ${parquet} WHERE ${filters}`
    : `SELECT ws.w, ${silver.unit} AS pid, session_id${cols}${b}
  FROM ${parquet} JOIN (VALUES ${windows.map((w, i) => `(${i}, ${date(w.start)}, ${date(w.end)})`).join(', ')}) ws(w, w_start, w_end)
    ON date BETWEEN ws.w_start AND ws.w_end
  WHERE ${filters}`;
}

/**
 * The Silver rows every plan bounds, staged once so that several analyses share one scan: the
 * rows of {@link windowRowsSql} (of one user bucket when `bucket.count` > 1) as `w`, `pid`,
 * `rid` (session id), the given columns, and `n`, the user's rows in that window before any
 * analysis's filter.
 */
export function stagedRowsSql(
  columns: readonly string[],
  silver: SilverSource,
  windows: readonly { readonly start: string; readonly end: string }[],
  bucket: UserBucket = { index: 0, count: 1 },
): string {
  // Bounding is per user, so users can be split into buckets computed one at a time (bounded
  // memory); the per-partition sums of all buckets equal those of one query.
  const where =
    bucket.count > 1 ? `${userBucketSql(silver.unit, bucket.count)} = ${bucket.index}` : undefined;
  return withRowCountsSql(
    columns,
    windowRowsSql(columns, silver, windows, where !== undefined ? { where } : {}),
  );
}

/**
 * The staged rows ({@link stagedRowsSql}'s columns) of `rows`, a query yielding `w`, `pid`,
 * `session_id` and the given columns, e.g. one bucket of rows staged by {@link windowRowsSql}.
 */
export function withRowCountsSql(columns: readonly string[], rows: string): string {
  const cols = columns.map((c) => `, ${c}`).join('');
  // Only users with several rows need their count; joining those few back costs less than
  // counting every row's user with a window (which DuckDB plans as a join against all users).
  return `WITH rows AS MATERIALIZED (
  ${rows}
),
multi AS (
  SELECT w, pid, n FROM (SELECT w, pid, count(*) AS n FROM rows GROUP BY ALL) WHERE n > 1
)
SELECT rows.w, rows.pid, session_id AS rid${cols}, coalesce(multi.n, 1) AS n
FROM rows LEFT JOIN multi ON rows.w = multi.w AND rows.pid = multi.pid`;
}

/** The windows' dates as few `[start, end]` ranges: overlapping or adjacent windows merged. */
function dateSpans(windows: readonly { readonly start: string; readonly end: string }[]): [string, string][] {
  const dayAfter = (d: string): string =>
    new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const spans: [string, string][] = [];
  for (const w of [...windows].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))) {
    const last = spans.at(-1);
    if (last && w.start <= dayAfter(last[1])) {
      if (w.end > last[1]) last[1] = w.end;
    } else {
      spans.push([w.start, w.end]);
    }
  }
  return spans;
}

/**
 * Compiles an analysis's contribution bounding and per-partition aggregation to DuckDB SQL: ONE
 * bounding pass from which every statistic of the analysis reads, over the rows of
 * {@link stagedRowsSql} (the relation `staged`), each window bounded with `planOf(window)` (its
 * own bounds; default `plan`). See {@link duckdbBoundedSql}.
 */
export function boundedFromStagedSql(
  plan: AnalysisPlan,
  staged: string,
  windows: readonly StagedWindow[],
  planOf?: (window: StagedWindow) => AnalysisPlan,
): string {
  return duckdbBoundedSql(boundingPlanOf(plan, windows, planOf), staged);
}

/**
 * {@link boundedFromStagedSql} over the given Silver files as one statement (the staged rows as
 * a CTE): for one analysis on its own, and for tests.
 */
export function boundedAggregateSql(
  plan: AnalysisPlan,
  silver: SilverSource,
  windows: readonly SaltedWindow[],
  bucket: UserBucket = { index: 0, count: 1 },
): string {
  const staged = `staged AS MATERIALIZED (\n${stagedRowsSql(stagedColumns([plan]), silver, windows, bucket)}\n)`;
  const { ctes, select } = boundedParts(
    boundingPlanOf(
      plan,
      windows.map((w, index) => ({ index, id: w.id, salt: w.salt })),
      (w) => windows[w.index]!.plan ?? plan,
    ),
    'staged',
  );
  return `WITH ${[staged, ...ctes].join(',\n')}\n${select}`;
}

/**
 * A {@link BoundingPlan} compiled to DuckDB SQL over `staged` (rows of {@link stagedRowsSql}).
 * Same plan as `boundContributions` in dp/ (the reference implementation a test holds this to):
 * per (user, partition) keep the Linf rows with the smallest md5(salt|user|partition|row), then
 * per user keep the L0 partitions with the smallest md5(salt|user|partition). Both choices are
 * hash aggregates (`min_by(x, key, n)`), not sorts. A user's kept rows depend on that user's
 * rows alone, which is all the sensitivity bound needs.
 * A user with a single row in the window (n = 1: most users of a month) keeps it whatever the
 * bounds (all are ≥ 1), so only the other users' rows are ranked: the expensive grouping by user
 * runs on a fraction of the rows.
 *
 * Each window is bounded separately, with its own fresh salt and its own bounds (L0, Linf, total,
 * clamp and grid), read from the `windows` relation: one query serves windows whose automatic
 * bounds differ. `min_by(…, n)` takes a constant n, so it takes the largest bound of the windows and
 * each window keeps the first of those by the hash (its list is in ascending hash order).
 * Result columns: `w` (window id), `pk` (VARCHAR), `count` (rows kept), `users` (distinct users
 * with a kept row: privacy-id count and partition selection), and for value statistics
 * `normalized_sum` and `normalized_sum_squares` (sums of x and x² over kept rows, where
 * x = 2·q(v) − (loUnits + hiUnits) and q(v) is the value rounded to the analysis's grid), plus
 * for quantiles `histogram`: a list of {x, n} (kept rows per quantile-tree leaf x), by x.
 * Public partitions: rows with other keys are dropped before bounding. Private partitions: every
 * non-null key is kept; partition selection happens on the noisy side.
 */
export function duckdbBoundedSql(plan: BoundingPlan, staged: string): string {
  const { ctes, select } = boundedParts(plan, staged);
  return `WITH ${ctes.join(',\n')}\n${select}`;
}

/**
 * The row filter of a plan over the staged rows, in the SQL both dialects share: its windows,
 * its partition keys (public) or any non-null key (private), and a value unless missing counts as 0.
 */
export function stagedFilter(plan: BoundingPlan): string {
  const { column, keys } = plan.partition;
  return [
    `w IN (${plan.windows.map((w) => w.index).join(', ')})`,
    keys === 'private' ? `${column} IS NOT NULL` : `${column} IN (${keys.map(sqlString).join(', ')})`,
    ...(plan.value?.missing === 'exclude' ? [`${plan.value.column} IS NOT NULL`] : []),
  ].join(' AND ');
}

/** The value a row carries as `v`: the value column, or 0 where missing counts as 0. */
export function valueColumnSql(plan: BoundingPlan): string {
  const value = plan.value!;
  return value.missing === 'zero' ? `coalesce(${value.column}, 0)` : value.column;
}

function boundedParts(plan: BoundingPlan, staged: string): { ctes: string[]; select: string } {
  const filters = stagedFilter(plan);
  const { x, leaf } = valueExpressions(plan);
  // The raw value rides along to the end: x and the leaf are computed once per distinct value.
  const valued = carriesValue(plan);
  const v = valued ? ', v' : '';
  const rows = (n: string, extra: string): string =>
    `SELECT w${extra}, CAST(${plan.partition.column} AS VARCHAR) AS pk${valued ? `, ${valueColumnSql(plan)} AS v` : ''}
  FROM ${staged} WHERE ${n} AND ${filters}`;
  const columns = windowColumns(plan);
  const windowValues = plan.windows
    .map((w) => `(${[String(w.index), sqlString(w.id), sqlString(w.salt), ...columns.values(w)].join(', ')})`)
    .join(', ');
  const ranked = hasTotal(plan)
    ? totalBoundedRows(valued)
    : sampledRows(
        Math.max(...plan.windows.map((w) => w.l0)),
        Math.max(...plan.windows.map((w) => w.linf)),
        valued,
      );
  const ctes = [
    `windows(${['w', 'id', 'salt', ...columns.names].join(', ')}) AS (VALUES ${windowValues})`,
    `multi AS (
  ${rows('n > 1', ', pid, rid')}
)`,
    ...ranked,
    // Kept rows per (window, partition, value), and how many of them are a user's first (u = 1
    // on one row of each kept (user, partition)): a user with one row keeps it.
    `kept AS (
  SELECT w, pk${v}, count(*) AS c, sum(u) AS users FROM (
    SELECT w, pk${v}, 1 AS u FROM (${rows('n = 1', '')})
    UNION ALL BY NAME
    SELECT * FROM multi_kept)
  GROUP BY ALL
)`,
  ];
  const zero = 'CAST(0 AS HUGEINT)';
  if (!valued) {
    ctes.push(`agg AS (
  SELECT w, pk, CAST(c AS HUGEINT) AS count, CAST(users AS HUGEINT) AS users, ${zero} AS normalized_sum, ${zero} AS normalized_sum_squares
  FROM kept
)`);
  } else {
    ctes.push(
      // Each window's grid and leaves: x and the leaf are computed once per distinct value.
      `valued AS (
  SELECT w, pk, c, users${x ? `, ${x} AS x` : ''}${leaf ? `, ${leaf} AS leaf` : ''} FROM kept JOIN windows USING (w)
)`,
      `agg AS (
  SELECT w, pk, CAST(sum(c) AS HUGEINT) AS count, CAST(sum(users) AS HUGEINT) AS users,
    ${x ? 'sum(CAST(c AS HUGEINT) * x)' : zero} AS normalized_sum, ${x ? 'sum(CAST(c AS HUGEINT) * x * x)' : zero} AS normalized_sum_squares
  FROM valued GROUP BY w, pk
)`,
    );
    if (leaf) {
      ctes.push(`hist AS (
  SELECT w, pk, list({'x': leaf, 'n': n} ORDER BY leaf) AS histogram
  FROM (SELECT w, pk, leaf, CAST(sum(c) AS BIGINT) AS n FROM valued GROUP BY w, pk, leaf) GROUP BY w, pk
)`);
    }
  }
  return {
    ctes,
    select: `SELECT windows.id AS w, agg.* EXCLUDE (w)${leaf ? ', hist.histogram' : ''}
FROM agg JOIN windows USING (w)${leaf ? ' LEFT JOIN hist USING (w, pk)' : ''} ORDER BY windows.id, pk`,
  };
}

/**
 * L0/Linf sampling of the other users' rows with hash aggregates: per (user, partition) the Linf
 * rows of smallest row hash, then per user the L0 partitions of smallest partition hash, each
 * window's own bounds cut from the `maxL0`/`maxLinf` smallest (lists in ascending hash order).
 * Yields `multi_kept(w, pk[, v], u)`, one line per kept row.
 */
function sampledRows(maxL0: number, maxLinf: number, valued: boolean): string[] {
  return [
    `cells AS (
  SELECT w, pid, pk, any_value(salt) AS salt, any_value(l0) AS l0,
    list_slice(min_by(${valued ? 'v' : 'rid'}, md5(concat(salt, '|', pid, '|', pk, '|', rid)), ${maxLinf}), 1, any_value(linf)) AS rows
  FROM multi JOIN windows USING (w) GROUP BY w, pid, pk
)`,
    `picked AS (
  SELECT w, unnest(list_slice(min_by({'pk': pk, 'rows': rows}, md5(concat(salt, '|', pid, '|', pk)), ${maxL0}), 1, any_value(l0))) AS c
  FROM cells GROUP BY w, pid
)`,
    `multi_kept AS (
  SELECT w, c.pk AS pk, unnest(list_transform(c.rows, (r, i) -> {${valued ? "'v': r, " : ''}'u': CAST(i = 1 AS INTEGER)}), recursive := true)
  FROM picked
)`,
  ];
}

/**
 * L0/Linf and then a per-user total, row by row (window functions; used only when a total bound
 * is declared): each window's Linf rows per (user, partition) by md5(salt|user|partition|row), L0
 * partitions per user by md5(salt|user|partition), then `total` of the user's remaining rows by
 * md5(salt|total|user|partition|row), as `boundContributions` in dp/.
 */
function totalBoundedRows(valued: boolean): string[] {
  return [
    `linf_rows AS (
  SELECT multi.*, salt, l0, total FROM multi JOIN windows USING (w)
  QUALIFY row_number() OVER (PARTITION BY w, pid, pk ORDER BY md5(concat(salt, '|', pid, '|', pk, '|', rid))) <= linf
)`,
    `l0_cells AS (
  SELECT w, pid, pk FROM (SELECT DISTINCT w, pid, pk, salt, l0 FROM linf_rows)
  QUALIFY row_number() OVER (PARTITION BY w, pid ORDER BY md5(concat(salt, '|', pid, '|', pk))) <= l0
)`,
    `total_rows AS (
  SELECT r.* FROM linf_rows r SEMI JOIN l0_cells USING (w, pid, pk)
  QUALIFY row_number() OVER (PARTITION BY w, pid ORDER BY md5(concat(salt, '|total|', pid, '|', pk, '|', rid))) <= total
)`,
    // u = 1 on the first row of each kept (user, partition) by the row hash: deterministic.
    `multi_kept AS (
  SELECT w, pk${valued ? ', v' : ''}, CAST(row_number() OVER (PARTITION BY w, pid, pk ORDER BY md5(concat(salt, '|', pid, '|', pk, '|', rid))) = 1 AS INTEGER) AS u FROM total_rows
)`,
  ];
}
