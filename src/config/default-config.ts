/**
 * The built-in config: the two seed analyses, sessions per country (keys chosen by private
 * partition selection) and pageviews per device (mean and quantiles from one bounding pass).
 * Contribution bounds (L0, Linf) and value clamps are "auto": chosen privately per analysis and
 * month from DP histograms of the contribution profile, with 10% of the analysis's ε (see
 * `analyses/bound-selection.ts`). Averages are per session with a missing value (a bounce's
 * duration) counted as 0, GA's definition. Each analysis spends ε = 1 per monthly release, within the analyses' monthly cap of ε = 4 and the
 * per-person monthly total of ε = 8 that DAU, MAU and utility analyses share.
 */
export const DEFAULT_CONFIG_INPUT = {
  version: 1,
  budget: {
    monthly_epsilon_cap: 4,
    monthly_delta_cap: 1e-5,
    accounting: 'naive',
    total_monthly_epsilon_cap: 8,
    total_monthly_delta_cap: 1e-5,
  },
  lateness_days: 2,
  max_line_bytes: 256 * 1024 * 1024,
  max_blob_bytes: 1024 ** 3,
  analyses: [
    {
      name: 'sessions_per_continent',
      description: 'Sessions',
      statistics: ['count'],
      partition_by: 'continent',
      public_partitions: ['Africa', 'Americas', 'Asia', 'Europe', 'Oceania', '(not set)'],
      epsilon: 1,
      noise: 'laplace',
      max_partitions_contributed: 'auto',
      max_contributions_per_partition: 'auto',
      window: 'month',
    },
    {
      name: 'avg_session_duration_per_device',
      description: 'Average session duration (bounces count as 0 s)',
      statistics: ['mean'],
      partition_by: 'device_category',
      public_partitions: ['desktop', 'mobile', 'tablet'],
      value: 'time_on_site_ms',
      bounds: 'auto',
      missing_value: 'zero',
      unit: 'ms',
      epsilon: 1,
      noise: 'laplace',
      max_partitions_contributed: 'auto',
      max_contributions_per_partition: 'auto',
      window: 'month',
    },
    {
      name: 'sessions_per_country',
      description: 'Sessions',
      statistics: ['count'],
      partition_by: 'country',
      partition_selection: { delta: 1e-6, strategy: 'truncated_geometric' },
      epsilon: 1,
      noise: 'laplace',
      max_partitions_contributed: 'auto',
      max_contributions_per_partition: 'auto',
      window: 'month',
    },
    {
      name: 'pageviews_per_device',
      description: 'Pageviews per session',
      statistics: ['mean', 'quantiles'],
      quantiles: [0.5, 0.9],
      partition_by: 'device_category',
      public_partitions: ['desktop', 'mobile', 'tablet'],
      value: 'pageviews',
      bounds: 'auto',
      missing_value: 'zero',
      unit: 'pageviews',
      epsilon: 1,
      noise: 'laplace',
      max_partitions_contributed: 'auto',
      max_contributions_per_partition: 'auto',
      window: 'month',
    },
  ],
  active_users: {
    dau: { epsilon: 0.3, monthly_epsilon_cap: 3 },
    mau: { epsilon: 0.5, delta: 1e-6, window_days: 30, monthly_epsilon_cap: 3.5 },
    series: { epsilon: 1, dau_max_flippancy: 8, mau_max_flippancy: 4 },
  },
} as const;
