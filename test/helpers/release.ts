import { RELEASE_SCHEMA, type Release } from '../../src/gold/release.js';

/**
 * A valid continent COUNT release for 2016-08 (ε = 1, discrete Laplace scale 1), with the given
 * fields replaced: the fixture of the Gold schema and report tests.
 */
export function sampleRelease(over: Partial<Release> = {}): Release {
  return {
    schema: RELEASE_SCHEMA,
    analysis: 'sessions_per_continent',
    statistic: 'count',
    privacy_unit: 'user',
    partition_by: 'continent',
    window: { start: '2016-08-01', end: '2016-08-31' },
    privacy: {
      epsilon: 1,
      delta: 0,
      mechanism: 'discrete_laplace',
      noise_scale: 1,
      max_partitions_contributed: 1,
      max_contributions_per_partition: 1,
      interval_method: 'exact',
    },
    description: 'Sessions',
    guarantee: 'Any one visitor …',
    partitions: [{ key: 'Americas', value: 41234, ci95: [41231, 41237] }],
    created_at: '2026-11-23T09:00:00.000Z',
    run_id: '20261123T090000Z-ab12cd',
    ...over,
  };
}
