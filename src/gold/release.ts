/**
 * The Gold release contract (`dp-pipeline/release@1`): what analysts and dashboards parse.
 * Every field here is either a DP output or a public parameter; nothing raw can be expressed.
 *
 * @example
 * ```json
 * { "schema": "dp-pipeline/release@1", "analysis": "sessions_per_continent", "statistic": "count",
 *   "privacy_unit": "user", "window": { "start": "2016-08-01", "end": "2016-08-31" },
 *   "privacy": { "epsilon": 1, "delta": 0, "mechanism": "discrete_laplace", "noise_scale": 1,
 *                "max_partitions_contributed": 1, "max_contributions_per_partition": 1 },
 *   "partitions": [{ "key": "Americas", "value": 41234, "ci95": [41231, 41237] }],
 *   "created_at": "2026-11-23T09:00:00.000Z", "run_id": "20261123T090000Z-ab12cd" }
 * ```
 *
 * Additive fields (still release@1; readers of the fields above need no change): `statistics` and
 * `outputs` list what a multi-statistic analysis releases; each partition's `statistics` maps
 * every output name to `{ value, ci95 }`; `privacy.statistics` gives each statistic's mechanism
 * and budget share; `privacy.rho` appears with discrete Gaussian noise; and
 * `privacy.partition_selection` appears when keys were chosen privately (a key absent from
 * `partitions` is NOT a zero: it was not selected).
 */
export const RELEASE_SCHEMA = 'dp-pipeline/release@1' as const;

export type Statistic = 'count' | 'sum' | 'mean' | 'variance' | 'privacy_id_count' | 'quantiles';

/**
 * The privacy parameters of one statistic of a multi-statistic release (`privacy.statistics`):
 * its mechanism, its share of the release's budget and its public noise parameters
 * (e.g. `noise_scale`, `count_noise_scale`, `sum_noise_scale`, `granularity`, `bounds`, `unit`).
 */
export interface StatisticPrivacy {
  readonly mechanism: 'discrete_laplace' | 'discrete_gaussian';
  readonly epsilon: number;
  readonly delta: number;
  /** zCDP ρ, for discrete Gaussian noise. */
  readonly rho?: number;
  readonly interval_method: string;
  readonly [parameter: string]: number | string | readonly number[] | undefined;
}

/** How the released keys were chosen when they were not public. */
export interface PartitionSelectionPrivacy {
  readonly strategy: string;
  readonly epsilon: number;
  readonly delta: number;
  /** Always states that absent keys are not zeros. */
  readonly note: string;
}

export interface ReleaseWindow {
  /** First day of the window, inclusive, `YYYY-MM-DD`. */
  readonly start: string;
  /** Last day of the window, inclusive, `YYYY-MM-DD`. */
  readonly end: string;
}

export interface ReleasePrivacy {
  readonly epsilon: number;
  readonly delta: number;
  readonly mechanism: 'discrete_laplace' | 'discrete_gaussian';
  /** zCDP releases (discrete Gaussian): the ρ spent; ε and δ are then its (ε, δ)-DP guarantee. */
  readonly rho?: number;
  /** Continual-release series: the binary-tree mechanism over the days of the window. */
  readonly continual?: {
    readonly method: 'flippancy_bounded_tree';
    /** w: changes of a user's presence kept; a user's later changes are ignored (Jain et al. 2023). */
    readonly max_flippancy: number;
    readonly tree_levels: number;
    /** Days in the series (T). */
    readonly steps: number;
  };
  /** Rolling active users: the window length in days. */
  readonly window_days?: number;
  /** Scale of the noise added to the released value (for a mean: to the count; see `sum_noise_scale`). */
  readonly noise_scale: number;
  readonly max_partitions_contributed: number;
  readonly max_contributions_per_partition: number;
  /** Means only: the value bounds every contribution was clamped to. */
  readonly bounds?: readonly [number, number];
  /** Means only: unit of the value, e.g. `ms`. */
  readonly unit?: string;
  /** Means only: noise scale of the normalized sum, in the value's unit. */
  readonly sum_noise_scale?: number;
  /** Means only: the grid (a power of two, in the value's unit) values were rounded to before noise. */
  readonly granularity?: number;
  /** How `ci95` was derived, in words an analyst can check. */
  readonly interval_method: string;
  /** Multi-statistic releases: per statistic, its mechanism and budget share (additive to release@1). */
  readonly statistics?: Readonly<Record<string, StatisticPrivacy>>;
  /** Present when the keys were chosen by DP partition selection rather than listed in the config. */
  readonly partition_selection?: PartitionSelectionPrivacy;
  /** Present when the contribution bounds (and value clamp) were chosen privately for this window. */
  readonly bounds_selection?: BoundsSelectionPrivacy;
}

/**
 * How automatic bounds were chosen: the method, the ε it spent (part of `privacy.epsilon`), the
 * public candidate grid, the bounds chosen, and DP estimates (post-processing) of the share of
 * rows the bounds dropped and of values clamped.
 */
export interface BoundsSelectionPrivacy {
  readonly method: string;
  readonly epsilon: number;
  readonly candidates: string;
  readonly chosen: {
    readonly max_partitions_contributed: number;
    readonly max_contributions_per_partition: number;
    readonly bounds?: readonly [number, number];
  };
  readonly clipped_share: number;
  readonly clamped_share?: number;
  /** Present when the bounds cut a visible share of the data. */
  readonly note?: string;
}

/** One released number with its 95% interval. */
export interface ReleaseValue {
  readonly value: number;
  readonly ci95: readonly [number, number];
}

export interface ReleasePartition {
  readonly key: string;
  /** The first output (`outputs[0]`), kept at top level for release@1 readers. */
  readonly value: number;
  readonly ci95: readonly [number, number];
  /** Every output of the release by name (`count`, `mean`, `p50`, …), including the first. */
  readonly statistics?: Readonly<Record<string, ReleaseValue>>;
}

export interface Release {
  readonly schema: typeof RELEASE_SCHEMA;
  readonly analysis: string;
  /** The first statistic (what `partitions[].value` holds). */
  readonly statistic: Statistic;
  /** All statistics released, in config order (additive to release@1). */
  readonly statistics?: readonly Statistic[];
  /** Names of the per-partition outputs in `partitions[].statistics`, e.g. `["mean", "p50", "p90"]`. */
  readonly outputs?: readonly string[];
  readonly privacy_unit: 'user';
  /** The Silver column whose values are the partition keys, e.g. `continent`. */
  readonly partition_by: string;
  readonly window: ReleaseWindow;
  readonly privacy: ReleasePrivacy;
  /** Human-readable description of the released quantity, e.g. "sessions" or "average session duration". */
  readonly description: string;
  /** What the release estimates, e.g. "mean time_on_site_ms per session per device_category, a session without time_on_site_ms counted as 0" (additive to release@1). */
  readonly estimand?: string;
  /** The privacy guarantee in plain words, for people reading the release. */
  readonly guarantee: string;
  readonly partitions: readonly ReleasePartition[];
  readonly created_at: string;
  readonly run_id: string;
}
