import { sqlString } from '../engine/duckdb.js';
import type { AnalysisPlan, Window } from '../analyses/index.js';
import type { SilverSource } from '../silver/silver-source.js';

/**
 * The raw, unbounded answer of an analysis per (window, partition: the public ones, or every key seen when keys are selected privately): every session counted,
 * values not clamped, a missing value read as the analysis's estimand says (0, or left out); a privacy-id count counts persons (the privacy unit), not per-key pseudonyms.
 * Only for the data owner's evaluation (its results stay in `private/`).
 * Result columns: `w`, `pk`, `value` (DOUBLE; NULL for a mean without values).
 */
export function unboundedTruthSql(
  plan: AnalysisPlan,
  silver: SilverSource,
  windows: readonly Window[],
): string {
  const windowRows = windows
    .map((w) => `(${sqlString(w.id)}, DATE ${sqlString(w.start)}, DATE ${sqlString(w.end)})`)
    .join(', ');
  // A statistic added later without a raw form here evaluates with raw = null (no error against raw).
  // The estimand's value: a missing one is 0 (`zero`, GA's per-session averages) or left out.
  const value = plan.value
    ? plan.value.missing === 'zero'
      ? `CAST(coalesce(${plan.value.column}, 0) AS DOUBLE)`
      : `CAST(${plan.value.column} AS DOUBLE)`
    : 'NULL';
  const aggregate = {
    count: 'CAST(count(*) AS DOUBLE)',
    privacy_id_count: `CAST(count(DISTINCT ${silver.unit}) AS DOUBLE)`,
    sum: `CAST(sum(${value}) AS DOUBLE)`,
    mean: `avg(${value})`,
    variance: `var_pop(${value})`,
    quantiles: 'CAST(NULL AS DOUBLE)',
  }[plan.kind];
  const keys = plan.partitions.kind === 'public' ? plan.partitions.keys : undefined;
  return `
WITH windows(w, w_start, w_end) AS (VALUES ${windowRows})
SELECT w, CAST(${plan.partitionBy} AS VARCHAR) AS pk, ${aggregate} AS value
FROM ${silver.relation}
JOIN windows ON date BETWEEN w_start AND w_end
${keys ? `WHERE ${plan.partitionBy} IN (${keys.map(sqlString).join(', ')})` : `WHERE ${plan.partitionBy} IS NOT NULL`}
GROUP BY w, pk ORDER BY w, pk`;
}
