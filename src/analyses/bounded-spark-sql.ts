import { z } from 'zod';
import { sqlString } from '../engine/duckdb.js';
import type { PrivacyUnitSql } from '../silver/silver-source.js';
import {
  carriesValue,
  hasTotal,
  valueExpressions,
  windowColumns,
  type BoundingPlan,
} from './bounding-plan.js';
import { stagedFilter, valueColumnSql } from './bounded-sql.js';
import { EMPTY_AGGREGATE, type BoundedAggregate } from './statistics.js';

/**
 * A Spark SQL statement and its named parameters (`:name` markers in the text): what a Spark 3.5
 * engine (Databricks SQL, Synapse, Fabric) runs. Salts travel only as parameters.
 */
export interface SparkStatement {
  readonly sql: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * Committed Silver files as a Spark engine reads them: their URIs (`abfss://silver@<account>.dfs.
 * core.windows.net/sessions/date=…/part-<run>.parquet`, from the commit record, never a glob) and
 * the privacy unit of a row (see `PrivacyUnitSql`).
 */
export interface SparkSilverSource {
  readonly uris: readonly string[];
  readonly unit: PrivacyUnitSql;
}

/**
 * The staged rows of {@link stagedRowsSql} in Spark SQL: `w` (window index), `pid`, `rid` and the
 * given columns, each Silver file read by its own path (`parquet.\`…\``) with only the columns the
 * plans need, so files of two schema versions union by position. A row lies once in each window
 * holding its date. Unlike the DuckDB staging there is no `n` and no user bucket: the Spark plan
 * ranks every row with window functions and the warehouse spreads the work.
 */
export function sparkStagedRowsSql(
  columns: readonly string[],
  source: SparkSilverSource,
  windows: readonly { readonly start: string; readonly end: string }[],
): string {
  if (source.uris.length === 0 || windows.length === 0) throw new Error('internal: nothing to stage');
  const read = ['date', 'session_id', ...userColumns(source.unit), ...columns].join(', ');
  const files = source.uris
    .map((uri) => `SELECT ${read} FROM parquet.${sparkPath(uri)}`)
    .join('\n  UNION ALL ');
  const spans = windows
    .map(
      (w, i) => `SELECT ${i} AS w, DATE ${sqlString(w.start)} AS w_start, DATE ${sqlString(w.end)} AS w_end`,
    )
    .join(' UNION ALL ');
  return `SELECT ws.w, ${source.unit} AS pid, silver.session_id AS rid${columns.map((c) => `, silver.${c}`).join('')}
FROM (
  ${files}
) silver
JOIN (${spans}) ws ON silver.date BETWEEN ws.w_start AND ws.w_end`;
}

/**
 * A {@link BoundingPlan} compiled to Spark 3.5 SQL over `staged` (a relation of rows shaped as
 * {@link sparkStagedRowsSql}'s). Same rows kept as `duckdbBoundedSql` and `boundContributions` in
 * dp/, computed with window functions: per (window, user, partition) `row_number()` by the row
 * hash, per (window, user) `dense_rank()` by the partition hash, then (with a total) a
 * `row_number()` per (window, user) by the total hash; every window function orders by an md5, and
 * each rank is compared with its window's own bound (a column of `windows`).
 * Nothing DuckDB-only: no `min_by(…, n)`, `QUALIFY`, `HUGEINT` (sums are `DECIMAL(38,0)`),
 * `GROUP BY ALL`, `* EXCLUDE`, `UNION ALL BY NAME`, lambdas or lists.
 *
 * Result, one row per line, ordered by (w, pk, leaf) with nulls first: `w` (window id), `pk`,
 * `leaf`, `count`, `users`, `normalized_sum`, `normalized_sum_squares`. A line with a null `leaf` is
 * the partition's aggregate (as the DuckDB result's columns); a line with a `leaf` is one
 * histogram bin (quantiles): `count` kept rows in that leaf, the other sums 0.
 */
export function sparkBoundedSql(plan: BoundingPlan, staged: string): SparkStatement {
  const { ctes, select, parameters } = sparkParts(plan, staged);
  return { sql: `WITH ${ctes.join(',\n')}\n${select}`, parameters };
}

/** {@link sparkBoundedSql} with the staged rows of {@link sparkStagedRowsSql} as a CTE: one statement. */
export function sparkBoundedAggregateSql(
  plan: BoundingPlan,
  columns: readonly string[],
  source: SparkSilverSource,
  windows: readonly { readonly start: string; readonly end: string }[],
): SparkStatement {
  const staged = `staged AS (\n${sparkStagedRowsSql(columns, source, windows)}\n)`;
  const { ctes, select, parameters } = sparkParts(plan, 'staged');
  return { sql: `WITH ${[staged, ...ctes].join(',\n')}\n${select}`, parameters };
}

function sparkParts(
  plan: BoundingPlan,
  staged: string,
): { ctes: string[]; select: string; parameters: Record<string, string> } {
  const valued = carriesValue(plan);
  const v = valued ? ', v' : '';
  const { x, leaf } = valueExpressions(plan);
  const parameters: Record<string, string> = {};
  const columns = windowColumns(plan);
  const windowRows = plan.windows.map((w) => {
    const name = `salt_${w.index}`;
    parameters[name] = w.salt;
    const values = columns.values(w).map((value, i) => `, ${value} AS ${columns.names[i]}`);
    return `SELECT ${w.index} AS w, ${sqlString(w.id)} AS id, :${name} AS salt${values.join('')}`;
  });
  const hash = (...parts: string[]): string => `md5(${parts.join(" || '|' || ")})`;
  const total = hasTotal(plan);
  const ctes = [
    `windows AS (\n  ${windowRows.join('\n  UNION ALL ')}\n)`,
    // Every input row with its hashes (strings only: the salt and stored strings).
    `hashed AS (
  SELECT r.w, r.pid, r.pk${valued ? ', r.v' : ''}, ws.l0, ws.linf${total ? ', ws.total' : ''},
    ${hash('ws.salt', 'r.pid', 'r.pk', 'r.rid')} AS row_hash,
    ${hash('ws.salt', 'r.pid', 'r.pk')} AS cell_hash${total ? `,\n    ${hash('ws.salt', "'total'", 'r.pid', 'r.pk', 'r.rid')} AS total_hash` : ''}
  FROM (
    SELECT w, pid, rid, CAST(${plan.partition.column} AS STRING) AS pk${valued ? `, ${valueColumnSql(plan)} AS v` : ''}
    FROM ${staged} WHERE ${stagedFilter(plan)}
  ) r JOIN windows ws ON r.w = ws.w
)`,
    `ranked AS (
  SELECT w, pid, pk${v}, l0, linf, row_hash${total ? ', total, total_hash' : ''},
    row_number() OVER (PARTITION BY w, pid, pk ORDER BY row_hash) AS row_rank,
    dense_rank() OVER (PARTITION BY w, pid ORDER BY cell_hash) AS cell_rank
  FROM hashed
)`,
    `bounded AS (
  SELECT w, pid, pk${v}, row_hash, row_rank${total ? ', total, total_hash' : ''}
  FROM ranked WHERE row_rank <= linf AND cell_rank <= l0
)`,
    ...(!total
      ? [
          // u = 1 on one row of each kept (user, partition): the distinct users per partition.
          `kept AS (
  SELECT w, pk${v}, CASE WHEN row_rank = 1 THEN 1 ELSE 0 END AS u FROM bounded
)`,
        ]
      : [
          `totaled AS (
  SELECT w, pid, pk${v}, row_hash, total,
    row_number() OVER (PARTITION BY w, pid ORDER BY total_hash) AS total_rank
  FROM bounded
)`,
          `kept AS (
  SELECT w, pk${v},
    CASE WHEN row_number() OVER (PARTITION BY w, pid, pk ORDER BY row_hash) = 1 THEN 1 ELSE 0 END AS u
  FROM totaled WHERE total_rank <= total
)`,
        ]),
    // Each window's grid and leaves.
    `valued AS (
  SELECT k.w, k.pk, k.u${x ? `, ${x} AS x` : ''}${leaf ? `, ${leaf} AS leaf` : ''} FROM kept k JOIN windows ws ON k.w = ws.w
)`,
    `agg AS (
  SELECT w, pk, count(*) AS count, CAST(sum(u) AS BIGINT) AS users,
    ${x ? 'sum(CAST(x AS DECIMAL(38,0)))' : WIDE_ZERO} AS normalized_sum,
    ${x ? 'sum(CAST(x AS DECIMAL(38,0)) * x)' : WIDE_ZERO} AS normalized_sum_squares
  FROM valued GROUP BY w, pk
)`,
    ...(leaf ? ['hist AS (\n  SELECT w, pk, leaf, count(*) AS n FROM valued GROUP BY w, pk, leaf\n)'] : []),
  ];
  const lines = [
    `SELECT ws.id AS w, a.pk, CAST(NULL AS BIGINT) AS leaf, a.count, a.users, a.normalized_sum, a.normalized_sum_squares
FROM agg a JOIN windows ws ON a.w = ws.w`,
    ...(leaf
      ? [
          `SELECT ws.id AS w, h.pk, h.leaf, h.n AS count, CAST(0 AS BIGINT) AS users, ${WIDE_ZERO} AS normalized_sum, ${WIDE_ZERO} AS normalized_sum_squares
FROM hist h JOIN windows ws ON h.w = ws.w`,
        ]
      : []),
  ];
  return {
    ctes,
    select: `${lines.join('\nUNION ALL\n')}\nORDER BY w, pk, leaf NULLS FIRST`,
    parameters,
  };
}

const WIDE_ZERO = 'CAST(0 AS DECIMAL(38,0))';

/** The columns of the rows' user: both when the unit is the link (coalesced), else the pseudonym. */
function userColumns(unit: PrivacyUnitSql): string[] {
  return unit === 'user_pseudonym' ? ['user_pseudonym'] : ['user_link', 'user_pseudonym'];
}

/** A file URI as a Spark path identifier: backquoted, a backquote doubled. */
function sparkPath(uri: string): string {
  return `\`${uri.replace(/`/g, '``')}\``;
}

/**
 * An integer as the Databricks driver returns it with `preserveBigNumericPrecision`: BIGINT as a
 * bigint, DECIMAL as an exact string (a safe JS number also passes).
 */
const wideInt = z.union([
  z.bigint(),
  z
    .string()
    .regex(/^-?\d+$/, 'an integer string')
    .transform((s) => BigInt(s)),
  z
    .number()
    .refine((n) => Number.isSafeInteger(n), 'a safe integer')
    .transform((n) => BigInt(n)),
]);

/** One line of {@link sparkBoundedSql}'s result, decoded. */
export const sparkAggregateRowSchema = z.object({
  w: z.string(),
  pk: z.string(),
  leaf: wideInt.nullable(),
  count: wideInt,
  users: wideInt,
  normalized_sum: wideInt,
  normalized_sum_squares: wideInt,
});

export type SparkAggregateRow = z.output<typeof sparkAggregateRowSchema>;

/**
 * Adds the lines of {@link sparkBoundedSql}'s result to `aggregates` (window id → partition key →
 * aggregate, every window of the plan already present), in the shape the DuckDB path yields.
 * Throws naming the line when one is not of the documented shape or names an unknown window.
 */
export function mergeSparkRows(
  aggregates: Map<string, Map<string, BoundedAggregate>>,
  rows: readonly unknown[],
): void {
  rows.forEach((raw, i) => {
    const parsed = sparkAggregateRowSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(
        `bounding result line ${i + 1} is not an aggregate line: ${z.prettifyError(parsed.error)}`,
      );
    }
    const r = parsed.data;
    const byKey = aggregates.get(r.w);
    if (byKey === undefined)
      throw new Error(`bounding result line ${i + 1} names window ${r.w}, not one asked for`);
    const prev = byKey.get(r.pk) ?? EMPTY_AGGREGATE;
    if (r.leaf === null) {
      byKey.set(r.pk, {
        ...prev,
        count: prev.count + r.count,
        users: prev.users + r.users,
        normalizedSum: prev.normalizedSum + r.normalized_sum,
        normalizedSumSquares: prev.normalizedSumSquares + r.normalized_sum_squares,
      });
    } else {
      const histogram = new Map(prev.histogram ?? []);
      histogram.set(r.leaf, (histogram.get(r.leaf) ?? 0n) + r.count);
      byKey.set(r.pk, { ...prev, histogram });
    }
  });
}
