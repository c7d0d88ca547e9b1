import type { AnalysisPlan } from './plan.js';
import type { QuantileLeaves, ValueGrid } from './statistics.js';

/** A window of a plan, found in the staged rows as `w = index`, bounded with its own salt. */
export interface StagedWindow {
  readonly index: number;
  readonly id: string;
  readonly salt: string;
}

/**
 * What one window is bounded with: with automatic bounds, each (analysis, window) has its own.
 * The grid and the leaves are present on every window of a plan or on none (`value.sums`,
 * `value.histogram`).
 */
export interface WindowBounds {
  /** Partitions per user. */
  readonly l0: number;
  /** Rows per user and partition. */
  readonly linf: number;
  /** Rows per user in all, only where it can bind (`total < l0 · linf`). */
  readonly total?: number;
  /** The integer grid of sums and squares (x = 2·q(v) − (loUnits + hiUnits)). */
  readonly grid?: ValueGrid;
  /** The quantile tree's leaves whose kept rows are counted. */
  readonly leaves?: QuantileLeaves;
}

/** A window of a bounding plan: where its rows are, its salt, and its own bounds. */
export interface BoundedWindow extends StagedWindow, WindowBounds {}

/**
 * The contribution bounding and per-partition aggregation of one analysis, as data: what both
 * SQL compilers (DuckDB in `bounded-sql.ts`, Spark 3.5 in `bounded-spark-sql.ts`) and the
 * reference bounder in dp/ agree on, and nothing about how either engine computes it. Immutable
 * and `kind`-tagged, like the analysis plans.
 *
 * Its input is the staged rows relation: `w` (window index), `pid` (privacy unit, a string),
 * `rid` (row id, a string) and the Silver columns named here. Each window is bounded on its own,
 * with its own salt and bounds (one query serves windows whose automatic bounds differ). What is
 * hashed is only ever the salt (a string formatted in TypeScript) and those stored strings, joined
 * by `|`, so both engines hash the same bytes and keep the same rows:
 * 1. per (window, user, partition) the window's `linf` rows of smallest md5(salt|pid|pk|rid);
 * 2. per (window, user) the window's `l0` partitions of smallest md5(salt|pid|pk);
 * 3. with a `total`, per (window, user) the `total` remaining rows of smallest
 *    md5(salt|total|pid|pk|rid).
 *
 * Both compilers read the windows' salts and bounds from one small relation, `windows`, of the
 * columns {@link windowColumns} lists (salts travel as literals or parameters).
 *
 * @example
 * ```ts
 * const bp = boundingPlanOf(plan, [{ index: 0, id: '2016-08', salt: newSamplingSalt() }]);
 * const { sql, parameters } = sparkBoundedSql(bp, 'staged');
 * ```
 */
export interface BoundingPlan {
  readonly kind: 'bounding';
  readonly windows: readonly BoundedWindow[];
  /** The partition column (a string column) and the public keys, or `private` (every non-null key). */
  readonly partition: {
    readonly column: string;
    readonly keys: readonly string[] | 'private';
  };
  /** Value statistics: the value column, how a missing (null) value counts, and what is aggregated. */
  readonly value?: {
    readonly column: string;
    /** The analysis's estimand: `exclude`: a row without a value is not an input; `zero`: it counts as the value 0. */
    readonly missing: 'zero' | 'exclude';
    /** Sums and squares on each window's grid are computed. */
    readonly sums: boolean;
    /** Kept rows per quantile leaf (each window's leaves) are counted. */
    readonly histogram: boolean;
  };
}

/**
 * The bounding plan of an analysis over the given windows, each bounded with `planOf(window)`
 * (default `plan`): the plan finalized for that window when its bounds were chosen privately. A
 * window's plan may differ from `plan` in its bounds, clamp, grid and leaves only. A total bound
 * that cannot bind (`total ≥ l0 · linf`) is left out: it keeps every row the other two keep.
 */
export function boundingPlanOf(
  plan: AnalysisPlan,
  windows: readonly StagedWindow[],
  planOf: (window: StagedWindow) => AnalysisPlan = () => plan,
): BoundingPlan {
  return Object.freeze({
    kind: 'bounding',
    windows: windows.map((w) => Object.freeze({ ...w, ...windowBoundsOf(plan, planOf(w)) })),
    partition: Object.freeze({
      column: plan.partitionBy,
      keys: plan.partitions.kind === 'public' ? [...plan.partitions.keys] : 'private',
    }),
    ...(plan.value
      ? {
          value: Object.freeze({
            column: plan.value.column,
            missing: plan.value.missing,
            sums: plan.grid !== undefined,
            histogram: plan.quantileLeaves !== undefined,
          }),
        }
      : {}),
  } satisfies BoundingPlan);
}

/** A window's bounds from its plan, which must bound the same rows and aggregates as the analysis's. */
function windowBoundsOf(analysis: AnalysisPlan, window: AnalysisPlan): WindowBounds {
  const same =
    window.name === analysis.name &&
    window.partitionBy === analysis.partitionBy &&
    window.partitions.kind === analysis.partitions.kind &&
    window.value?.column === analysis.value?.column &&
    window.value?.missing === analysis.value?.missing &&
    (window.grid === undefined) === (analysis.grid === undefined) &&
    (window.quantileLeaves === undefined) === (analysis.quantileLeaves === undefined);
  if (!same) throw new Error(`internal: a window plan of ${window.name} is not one of ${analysis.name}`);
  const {
    maxPartitionsContributed: l0,
    maxContributionsPerPartition: linf,
    maxContributions,
  } = window.bounds;
  return {
    l0,
    linf,
    ...(maxContributions !== undefined && maxContributions < l0 * linf ? { total: maxContributions } : {}),
    ...(window.grid ? { grid: window.grid } : {}),
    ...(window.quantileLeaves ? { leaves: window.quantileLeaves } : {}),
  };
}

/** Whether the plan's rows carry their value to the aggregation (sums or leaves are computed). */
export function carriesValue(plan: BoundingPlan): boolean {
  return plan.value !== undefined && (plan.value.sums || plan.value.histogram);
}

/** Whether some window of the plan has a total bound (then every window is bounded by one). */
export function hasTotal(plan: BoundingPlan): boolean {
  return plan.windows.some((w) => w.total !== undefined);
}

/**
 * The columns of the `windows` relation both compilers join the rows to, besides `w` (window
 * index), `id` and `salt`, with each window's values as SQL both dialects read alike:
 * `l0`, `linf`; with a total, `total` (a window whose total cannot bind gets l0 · linf, which keeps
 * what L0 and Linf keep); with sums, the grid `g_lo`, `g_hi`, `g_step` (DOUBLE) and `lo_units`,
 * `hi_units` (BIGINT); with a histogram, the leaves `leaf_lo`, `leaf_hi`, `leaf_count` (DOUBLE)
 * and `leaf_last` (BIGINT, count − 1).
 */
export function windowColumns(plan: BoundingPlan): {
  readonly names: readonly string[];
  values(window: BoundedWindow): string[];
} {
  const int = (n: number | bigint): string => `CAST(${n} AS BIGINT)`;
  const total = hasTotal(plan);
  const sums = plan.value?.sums === true;
  const histogram = plan.value?.histogram === true;
  return {
    names: [
      'l0',
      'linf',
      ...(total ? ['total'] : []),
      ...(sums ? ['g_lo', 'g_hi', 'g_step', 'lo_units', 'hi_units'] : []),
      ...(histogram ? ['leaf_lo', 'leaf_hi', 'leaf_count', 'leaf_last'] : []),
    ],
    values: (w) => {
      const g = w.grid;
      const leaves = w.leaves;
      if ((sums && !g) || (histogram && !leaves)) throw new Error(`internal: window ${w.id} has no grid`);
      return [
        int(w.l0),
        int(w.linf),
        ...(total ? [int(w.total ?? w.l0 * w.linf)] : []),
        ...(g
          ? [doubleSql(g.lo), doubleSql(g.hi), doubleSql(g.granularity), int(g.loUnits), int(g.hiUnits)]
          : []),
        ...(leaves
          ? [doubleSql(leaves.lo), doubleSql(leaves.hi), doubleSql(leaves.count), int(leaves.count - 1)]
          : []),
      ];
    },
  };
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
 * The SQL pieces both dialects write alike, over a row's value `v` and its window's columns
 * ({@link windowColumns}): x = 2·q(v) − (loUnits + hiUnits) as a BIGINT, where q(v) =
 * round(clamp(v)/g) kept inside the grid (floor(y + 0.5) is JavaScript's Math.round), and the
 * quantile leaf as dp's quantileLeaf computes it (same double operations).
 */
export function valueExpressions(plan: BoundingPlan): { x?: string; leaf?: string } {
  const clamp = (lo: string, hi: string): string => `greatest(least(CAST(v AS DOUBLE), ${hi}), ${lo})`;
  return {
    ...(plan.value?.sums
      ? {
          x: `2 * least(greatest(CAST(floor(${clamp('g_lo', 'g_hi')} / g_step + ${doubleSql(0.5)}) AS BIGINT), lo_units), hi_units) - (lo_units + hi_units)`,
        }
      : {}),
    ...(plan.value?.histogram
      ? {
          leaf: `least(greatest(CAST(floor(((${clamp('leaf_lo', 'leaf_hi')} - leaf_lo) / (leaf_hi - leaf_lo)) * leaf_count) AS BIGINT), 0), leaf_last)`,
        }
      : {}),
  };
}
