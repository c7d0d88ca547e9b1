import type { AnalysisPlan } from './plan.js';
import type { QuantileLeaves, ValueGrid } from './statistics.js';

/** A window of a plan, found in the staged rows as `w = index`, bounded with its own salt. */
export interface StagedWindow {
  readonly index: number;
  readonly id: string;
  readonly salt: string;
}

/**
 * The contribution bounding and per-partition aggregation of one analysis, as data: what both
 * SQL compilers (DuckDB in `bounded-sql.ts`, Spark 3.5 in `bounded-spark-sql.ts`) and the
 * reference bounder in dp/ agree on, and nothing about how either engine computes it. Immutable
 * and `kind`-tagged, like the analysis plans.
 *
 * Its input is the staged rows relation: `w` (window index), `pid` (privacy unit, a string),
 * `rid` (row id, a string) and the Silver columns named here. What is hashed is only ever the
 * salt (a string formatted in TypeScript) and those stored strings, joined by `|`, so both engines
 * hash the same bytes and keep the same rows:
 * 1. per (window, user, partition) the `linf` rows of smallest md5(salt|pid|pk|rid);
 * 2. per (window, user) the `l0` partitions of smallest md5(salt|pid|pk);
 * 3. with a `total`, per (window, user) the `total` remaining rows of smallest
 *    md5(salt|total|pid|pk|rid).
 *
 * @example
 * ```ts
 * const bp = boundingPlanOf(plan, [{ index: 0, id: '2016-08', salt: newSamplingSalt() }]);
 * const { sql, parameters } = sparkBoundedSql(bp, 'staged');
 * ```
 */
export interface BoundingPlan {
  readonly kind: 'bounding';
  readonly windows: readonly StagedWindow[];
  /** The partition column (a string column) and the public keys, or `private` (every non-null key). */
  readonly partition: {
    readonly column: string;
    readonly keys: readonly string[] | 'private';
  };
  /** Per-user bounds: L0 partitions, Linf rows per partition, and an optional total. */
  readonly l0: number;
  readonly linf: number;
  readonly total?: number;
  /** Value statistics: the value column and how a missing (null) value counts. */
  readonly value?: {
    readonly column: string;
    /** The analysis's estimand: `exclude`: a row without a value is not an input; `zero`: it counts as the value 0. */
    readonly missing: 'zero' | 'exclude';
    /** The integer grid of sums and squares (x = 2·q(v) − (loUnits + hiUnits)). */
    readonly grid?: ValueGrid;
    /** The quantile tree's leaves whose kept rows are counted. */
    readonly leaves?: QuantileLeaves;
  };
}

/**
 * The bounding plan of an analysis over the given windows. A total bound that cannot bind
 * (`total ≥ l0 · linf`) is left out: it keeps every row the other two keep.
 */
export function boundingPlanOf(plan: AnalysisPlan, windows: readonly StagedWindow[]): BoundingPlan {
  const { maxPartitionsContributed: l0, maxContributionsPerPartition: linf, maxContributions } = plan.bounds;
  const total = maxContributions !== undefined && maxContributions < l0 * linf ? maxContributions : undefined;
  return Object.freeze({
    kind: 'bounding',
    windows: windows.map((w) => Object.freeze({ ...w })),
    partition: Object.freeze({
      column: plan.partitionBy,
      keys: plan.partitions.kind === 'public' ? [...plan.partitions.keys] : 'private',
    }),
    l0,
    linf,
    ...(total !== undefined ? { total } : {}),
    ...(plan.value
      ? {
          value: Object.freeze({
            column: plan.value.column,
            missing: plan.value.missing,
            ...(plan.grid ? { grid: plan.grid } : {}),
            ...(plan.quantileLeaves ? { leaves: plan.quantileLeaves } : {}),
          }),
        }
      : {}),
  } satisfies BoundingPlan);
}

/** Whether the plan's rows carry their value to the aggregation (sums or leaves are computed). */
export function carriesValue(plan: BoundingPlan): boolean {
  return plan.value !== undefined && (plan.value.grid !== undefined || plan.value.leaves !== undefined);
}

/**
 * A number as a SQL DOUBLE that both engines read as the same double: JavaScript prints the
 * shortest string that reads back as it, and both parse a string to the nearest double (a
 * decimal literal could be rounded twice on its way to a double).
 */
export function doubleSql(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`internal: not a finite number: ${n}`);
  return `CAST('${n}' AS DOUBLE)`;
}

/**
 * The SQL pieces both dialects write alike, over a row's value `v`: x = 2·q(v) − (loUnits +
 * hiUnits) as a BIGINT, where q(v) = round(clamp(v)/g) kept inside the grid (floor(y + 0.5) is
 * JavaScript's Math.round), and the quantile leaf as dp's quantileLeaf computes it (same double
 * operations).
 */
export function valueExpressions(plan: BoundingPlan): { x?: string; leaf?: string } {
  const g = plan.value?.grid;
  const leaves = plan.value?.leaves;
  const clamp = (lo: number, hi: number): string =>
    `greatest(least(CAST(v AS DOUBLE), ${doubleSql(hi)}), ${doubleSql(lo)})`;
  return {
    ...(g
      ? {
          x: `2 * least(greatest(CAST(floor(${clamp(g.lo, g.hi)} / ${doubleSql(g.granularity)} + ${doubleSql(0.5)}) AS BIGINT), ${g.loUnits}), ${g.hiUnits}) - ${g.loUnits + g.hiUnits}`,
        }
      : {}),
    ...(leaves
      ? {
          leaf: `least(greatest(CAST(floor(((${clamp(leaves.lo, leaves.hi)} - ${doubleSql(leaves.lo)}) / (${doubleSql(leaves.hi)} - ${doubleSql(leaves.lo)})) * ${doubleSql(leaves.count)}) AS BIGINT), 0), ${leaves.count - 1})`,
        }
      : {}),
  };
}
