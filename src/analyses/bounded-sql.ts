import { sqlList, sqlString } from '../engine/duckdb.js';
import type { AnalysisPlan } from './plan.js';

/**
 * Compiles an analysis's contribution bounding and per-partition aggregation to DuckDB SQL.
 * Same plan as `boundContributions` in dp/ (the reference implementation a test holds this to):
 * per (user, partition) keep the Linf rows with the smallest md5(salt|user|partition|row), then
 * per user keep the L0 partitions with the smallest md5(salt|user|partition). Both choices are
 * hash aggregates (`min_by(x, key, n)`), not sorts. A user's kept
 * rows depend on that user's rows alone, which is all the sensitivity bound needs.
 *
 * Each window is bounded separately, with its own fresh salt; one scan serves them all.
 * Result columns: `w` (window id), `pk` (VARCHAR), `count` (rows kept), `normalized_sum` (means only: the sum of
 * 2·q(x) − (loUnits + hiUnits) over kept rows, q the value rounded to the mechanism's grid).
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
  let normExpr = '0';
  if (plan.kind === 'mean') {
    const m = plan.mechanism;
    const g = m.granularity;
    const clamped = `greatest(least(CAST(v AS DOUBLE), ${m.hi}), ${m.lo})`;
    // q(x) = round(clamp(x)/g) kept inside the grid bounds; floor(y + 0.5) is JavaScript's Math.round.
    const q = `least(greatest(CAST(floor(${clamped} / ${g} + 0.5) AS HUGEINT), ${m.loUnits}), ${m.hiUnits})`;
    valueSelect = `, ${plan.valueColumn} AS v`;
    valueFilter = ` AND ${plan.valueColumn} IS NOT NULL`;
    normExpr = `2 * ${q} - ${m.loUnits + m.hiUnits}`;
  }
  // Only groups over a bound are ranked: a user with at most Linf rows in a partition (or at most
  // L0 partitions) keeps all of them, which is what uniform sampling does too.
  return `
WITH windows(w, w_start, w_end, salt) AS (VALUES ${windowRows}),
src AS (
  SELECT w, user_pseudonym AS pid, session_id AS rid, CAST(${plan.partitionBy} AS VARCHAR) AS pk, ${normExpr} AS x
  FROM (SELECT *${valueSelect} FROM read_parquet(${sqlList(files)}, hive_partitioning = false))
  JOIN windows ON date BETWEEN w_start AND w_end
  WHERE ${plan.partitionBy} IN (${plan.publicPartitions.map(sqlString).join(', ')})${valueFilter}${bucketFilter}
),
cells AS (
  SELECT w, pid, pk, count(*) AS n, sum(x) AS s FROM src GROUP BY w, pid, pk
),
trimmed AS (
  SELECT w, pid, pk, min_by(x, md5(salt || '|' || pid || '|' || pk || '|' || rid), ${linf}) AS kept
  FROM src SEMI JOIN (SELECT w, pid, pk FROM cells WHERE n > ${linf}) USING (w, pid, pk) JOIN windows USING (w)
  GROUP BY w, pid, pk
),
per_user AS (
  SELECT w, pid, pk, n AS c, s FROM cells WHERE n <= ${linf}
  UNION ALL
  SELECT w, pid, pk, len(kept) AS c, list_sum(kept) AS s FROM trimmed
),
users AS (
  SELECT w, pid, count(*) AS np FROM per_user GROUP BY w, pid
),
kept AS (
  SELECT p.w, p.pk, p.c, p.s FROM per_user p SEMI JOIN (SELECT w, pid FROM users WHERE np <= ${l0}) USING (w, pid)
  UNION ALL
  SELECT w, k.pk, k.c, k.s FROM (
    SELECT p.w, unnest(min_by({'pk': p.pk, 'c': p.c, 's': p.s}, md5(salt || '|' || p.pid || '|' || p.pk), ${l0})) AS k
    FROM per_user p SEMI JOIN (SELECT w, pid FROM users WHERE np > ${l0}) USING (w, pid) JOIN windows USING (w)
    GROUP BY p.w, p.pid)
)
SELECT w, pk, CAST(sum(c) AS HUGEINT) AS count, CAST(coalesce(sum(s), 0) AS HUGEINT) AS normalized_sum
FROM kept GROUP BY w, pk ORDER BY w, pk`;
}
