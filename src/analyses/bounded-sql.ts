import { sqlList, sqlString } from '../engine/duckdb.js';
import type { AnalysisPlan } from './plan.js';

/**
 * Compiles an analysis's contribution bounding and per-partition aggregation to DuckDB SQL: ONE
 * bounding pass from which every statistic of the analysis reads.
 * Same plan as `boundContributions` in dp/ (the reference implementation a test holds this to):
 * per (user, partition) keep the Linf rows with the smallest md5(salt|user|partition|row), then
 * per user keep the L0 partitions with the smallest md5(salt|user|partition). Both choices are
 * hash aggregates (`min_by(x, key, n)`), not sorts. A user's kept rows depend on that user's
 * rows alone, which is all the sensitivity bound needs.
 *
 * Each window is bounded separately, with its own fresh salt; one scan serves them all.
 * Result columns: `w` (window id), `pk` (VARCHAR), `count` (rows kept), `users` (distinct users
 * with a kept row: privacy-id count and partition selection), and for value statistics
 * `normalized_sum` and `normalized_sum_squares` (sums of x and x² over kept rows, where
 * x = 2·q(v) − (loUnits + hiUnits) and q(v) is the value rounded to the analysis's grid), plus
 * for quantiles `histogram`: a list of {x, n} (kept rows per quantile-tree leaf x).
 * Public partitions: rows with other keys are dropped before bounding. Private partitions: every
 * non-null key is kept; partition selection happens on the noisy side.
 */
export function boundedAggregateSql(
  plan: AnalysisPlan,
  files: readonly string[],
  windows: readonly { id: string; start: string; end: string; salt: string }[],
  bucket: { readonly index: number; readonly count: number } = { index: 0, count: 1 },
): string {
  // Bounding is per user, so users can be split into buckets computed one at a time (bounded
  // memory); the per-partition sums of all buckets equal those of one query.
  const bucketFilter =
    bucket.count > 1 ? ` AND hash(user_pseudonym) % ${bucket.count} = ${bucket.index}` : '';
  const windowRows = windows
    .map(
      (w) =>
        `(${sqlString(w.id)}, DATE ${sqlString(w.start)}, DATE ${sqlString(w.end)}, ${sqlString(w.salt)})`,
    )
    .join(', ');
  const linf = plan.bounds.maxContributionsPerPartition;
  const l0 = plan.bounds.maxPartitionsContributed;
  let valueSelect = '';
  let valueFilter = '';
  let normExpr = 'CAST(0 AS HUGEINT)';
  let leafExpr = '';
  if (plan.value !== undefined) {
    valueSelect = `, ${plan.value.column} AS v`;
    valueFilter = ` AND ${plan.value.column} IS NOT NULL`;
  }
  if (plan.value !== undefined && plan.grid !== undefined) {
    const g = plan.grid;
    const clamped = `greatest(least(CAST(v AS DOUBLE), ${g.hi}), ${g.lo})`;
    // q(x) = round(clamp(x)/g) kept inside the grid bounds; floor(y + 0.5) is JavaScript's Math.round.
    const q = `least(greatest(CAST(floor(${clamped} / ${g.granularity} + 0.5) AS HUGEINT), ${g.loUnits}), ${g.hiUnits})`;
    normExpr = `2 * ${q} - ${g.loUnits + g.hiUnits}`;
  }
  const leaves = plan.quantileLeaves;
  if (plan.value !== undefined && leaves !== undefined) {
    // The quantile tree's leaf, computed as dp's quantileLeaf does (same double operations).
    const clamped = `greatest(least(CAST(v AS DOUBLE), ${leaves.hi}), ${leaves.lo})`;
    leafExpr = `, least(greatest(CAST(floor(((${clamped} - ${leaves.lo}) / (${leaves.hi} - ${leaves.lo})) * ${leaves.count}) AS BIGINT), 0), ${leaves.count - 1}) AS leaf`;
  }
  const keyFilter =
    plan.partitions.kind === 'public'
      ? `${plan.partitionBy} IN (${plan.partitions.keys.map(sqlString).join(', ')})`
      : `${plan.partitionBy} IS NOT NULL`;
  const hist = leafExpr !== '';
  // Per (user, partition) cell: rows n, Σx, Σx² and (quantiles) the list of leaves.
  const cellHist = hist ? ', list(leaf) AS h' : '';
  const trimmedHist = hist ? ', list_transform(kept, e -> e.l) AS h' : '';
  const perUserHist = hist ? ', h' : '';
  const keptHist = hist ? ', k.h' : '';
  const structHist = hist ? ", 'h': p.h" : '';
  const histogram = hist
    ? `,
hx AS (SELECT w, pk, leaf, count(*) AS n FROM (SELECT w, pk, unnest(h) AS leaf FROM kept) GROUP BY w, pk, leaf),
hl AS (SELECT w, pk, list({'x': leaf, 'n': n} ORDER BY leaf) AS histogram FROM hx GROUP BY w, pk)`
    : '';
  const histSelect = hist ? ', hl.histogram' : '';
  const histJoin = hist ? ' LEFT JOIN hl USING (w, pk)' : '';
  const srcCte = `
WITH windows(w, w_start, w_end, salt) AS (VALUES ${windowRows}),
src AS (
  SELECT w, user_pseudonym AS pid, session_id AS rid, CAST(${plan.partitionBy} AS VARCHAR) AS pk, ${normExpr} AS x${leafExpr}
  FROM (SELECT *${valueSelect} FROM read_parquet(${sqlList(files)}, hive_partitioning = false))
  JOIN windows ON date BETWEEN w_start AND w_end
  WHERE ${keyFilter}${valueFilter}${bucketFilter}
),`;
  const total = plan.bounds.maxContributions;
  const keptCte =
    total !== undefined && total < l0 * linf
      ? totalBoundedKept(l0, linf, total, hist)
      : fastKept(l0, linf, { cellHist, trimmedHist, perUserHist, keptHist, structHist, hist });
  return `${srcCte}
${keptCte}
agg AS (
  SELECT w, pk, CAST(sum(c) AS HUGEINT) AS count, CAST(count(*) AS HUGEINT) AS users,
    CAST(coalesce(sum(s), 0) AS HUGEINT) AS normalized_sum, CAST(coalesce(sum(ss), 0) AS HUGEINT) AS normalized_sum_squares
  FROM kept GROUP BY w, pk
)${histogram}
SELECT agg.*${histSelect} FROM agg${histJoin} ORDER BY w, pk`;
}

/**
 * L0/Linf bounding with hash aggregates. Only groups over a bound are ranked: a user with at most
 * Linf rows in a partition (or at most L0 partitions) keeps all of them, which is what uniform
 * sampling does too. Yields `kept(w, pk, c, s, ss[, h])`, one row per kept (user, partition).
 */
function fastKept(
  l0: number,
  linf: number,
  h: {
    cellHist: string;
    trimmedHist: string;
    perUserHist: string;
    keptHist: string;
    structHist: string;
    hist: boolean;
  },
): string {
  return `cells AS (
  SELECT w, pid, pk, count(*) AS n, sum(x) AS s, sum(x * x) AS ss${h.cellHist} FROM src GROUP BY w, pid, pk
),
trimmed AS (
  SELECT w, pid, pk, min_by(${h.hist ? "{'x': x, 'l': leaf}" : 'x'}, md5(salt || '|' || pid || '|' || pk || '|' || rid), ${linf}) AS kept
  FROM src SEMI JOIN (SELECT w, pid, pk FROM cells WHERE n > ${linf}) USING (w, pid, pk) JOIN windows USING (w)
  GROUP BY w, pid, pk
),
per_user AS (
  SELECT w, pid, pk, n AS c, s, ss${h.perUserHist} FROM cells WHERE n <= ${linf}
  UNION ALL
  SELECT w, pid, pk, len(kept) AS c, ${h.hist ? 'list_sum(list_transform(kept, e -> e.x)) AS s, list_sum(list_transform(kept, e -> e.x * e.x)) AS ss' : 'list_sum(kept) AS s, list_sum(list_transform(kept, e -> e * e)) AS ss'}${h.trimmedHist} FROM trimmed
),
users AS (
  SELECT w, pid, count(*) AS np FROM per_user GROUP BY w, pid
),
kept AS (
  SELECT p.w, p.pk, p.c, p.s, p.ss${h.hist ? ', p.h' : ''} FROM per_user p SEMI JOIN (SELECT w, pid FROM users WHERE np <= ${l0}) USING (w, pid)
  UNION ALL
  SELECT w, k.pk, k.c, k.s, k.ss${h.keptHist} FROM (
    SELECT p.w, unnest(min_by({'pk': p.pk, 'c': p.c, 's': p.s, 'ss': p.ss${h.structHist}}, md5(salt || '|' || p.pid || '|' || p.pk), ${l0})) AS k
    FROM per_user p SEMI JOIN (SELECT w, pid FROM users WHERE np > ${l0}) USING (w, pid) JOIN windows USING (w)
    GROUP BY p.w, p.pid)
),`;
}

/**
 * L0/Linf and then a per-user total, row by row (window functions; used only when a total bound
 * is declared): Linf rows per (user, partition) by md5(salt|user|partition|row), L0 partitions per
 * user by md5(salt|user|partition), then `total` of the user's remaining rows by
 * md5(salt|total|user|partition|row), as `boundContributions` in dp/.
 */
function totalBoundedKept(l0: number, linf: number, total: number, hist: boolean): string {
  return `linf_rows AS (
  SELECT src.*, salt FROM src JOIN windows USING (w)
  QUALIFY row_number() OVER (PARTITION BY w, pid, pk ORDER BY md5(salt || '|' || pid || '|' || pk || '|' || rid)) <= ${linf}
),
l0_cells AS (
  SELECT w, pid, pk FROM (SELECT DISTINCT w, pid, pk, salt FROM linf_rows)
  QUALIFY row_number() OVER (PARTITION BY w, pid ORDER BY md5(salt || '|' || pid || '|' || pk)) <= ${l0}
),
total_rows AS (
  SELECT r.* FROM linf_rows r SEMI JOIN l0_cells USING (w, pid, pk)
  QUALIFY row_number() OVER (PARTITION BY w, pid ORDER BY md5(salt || '|total|' || pid || '|' || pk || '|' || rid)) <= ${total}
),
kept AS (
  SELECT w, pk, count(*) AS c, sum(x) AS s, sum(x * x) AS ss${hist ? ', list(leaf) AS h' : ''} FROM total_rows GROUP BY w, pid, pk
),`;
}
