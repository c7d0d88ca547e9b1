import { sqlList, sqlString } from '../engine/duckdb.js';
import type { AnalysisPlan, Window } from '../analyses/index.js';

/**
 * The raw, unbounded answer of an analysis per (window, public partition): every session counted,
 * values not clamped. Only for the data owner's evaluation (its results stay in `private/`).
 * Result columns: `w`, `pk`, `value` (DOUBLE; NULL for a mean without values).
 */
export function unboundedTruthSql(
  plan: AnalysisPlan,
  files: readonly string[],
  windows: readonly Window[],
): string {
  const windowRows = windows
    .map((w) => `(${sqlString(w.id)}, DATE ${sqlString(w.start)}, DATE ${sqlString(w.end)})`)
    .join(', ');
  // A statistic added later without a raw form here evaluates with raw = null (no error against raw).
  const aggregate =
    plan.kind === 'count'
      ? 'CAST(count(*) AS DOUBLE)'
      : plan.kind === 'mean'
        ? `avg(CAST(${plan.valueColumn} AS DOUBLE))`
        : 'CAST(NULL AS DOUBLE)';
  return `
WITH windows(w, w_start, w_end) AS (VALUES ${windowRows})
SELECT w, CAST(${plan.partitionBy} AS VARCHAR) AS pk, ${aggregate} AS value
FROM read_parquet(${sqlList(files)}, hive_partitioning = false)
JOIN windows ON date BETWEEN w_start AND w_end
WHERE ${plan.partitionBy} IN (${plan.publicPartitions.map(sqlString).join(', ')})
GROUP BY w, pk ORDER BY w, pk`;
}
