import { RELEASE_SCHEMA, type Release, type ReleasePartition } from '../../src/gold/release.js';
import { Xoshiro128 } from '../../src/generate/prng.js';
import type { WindowedRelease } from '../../src/gold/tables/index.js';

export type { WindowedRelease };

export interface SyntheticYearOptions {
  /** First month, `YYYY-MM` (default 2016-08, the GA360 year). */
  readonly from?: string;
  /** How many consecutive months (default 12). */
  readonly months?: number;
  /** Fixture values come from this seed (not DP noise: these releases are made up). */
  readonly seed?: string;
  /** Windows left unreleased (as a refused budget or an empty selection would), by analysis. */
  readonly skip?: Readonly<Record<string, readonly string[]>>;
  /** Also the DAU/MAU series of every month and MAU at every month end (default true). */
  readonly activeUsers?: boolean;
  /** Also a DAU release for every day (default false: 365 more releases a year). */
  readonly dailyDau?: boolean;
}

const CONTINENTS: readonly [string, number][] = [
  ['Americas', 36000],
  ['Asia', 9500],
  ['Europe', 8800],
  ['Oceania', 560],
  ['Africa', 610],
  ['(not set)', 60],
];
const DEVICES: readonly [string, number][] = [
  ['desktop', 1],
  ['mobile', 0.62],
  ['tablet', 0.78],
];
/** Country names as GA360 writes them, a few with commas, apostrophes and accents. */
const COUNTRIES = [
  'United States',
  'India',
  'United Kingdom',
  'Canada',
  'Vietnam',
  'Turkey',
  'Thailand',
  'Germany',
  'Brazil',
  'Japan',
  'France',
  'Mexico',
  'Taiwan',
  'Russia',
  'Spain',
  'Netherlands',
  'Italy',
  'Poland',
  'Indonesia',
  'Philippines',
  'Singapore',
  'Australia',
  'Israel',
  'Malaysia',
  'Ukraine',
  'Romania',
  'South Korea',
  'Sweden',
  'Argentina',
  'Hong Kong',
  'Côte d’Ivoire',
  'Bonaire, Sint Eustatius and Saba',
  'Réunion',
  'Curaçao',
  'Åland Islands',
  'Korea, Republic of',
  '(not set)',
  ...Array.from({ length: 83 }, (_, i) => `Country ${String(i + 1).padStart(3, '0')}`),
];

/**
 * Release records shaped like a real year of the default config (the four analyses of
 * config/default.json, and the DAU/MAU series and MAU releases), with made-up values from a seeded
 * generator: the lake the report, trend and table tests publish without running the pipeline.
 */
export function syntheticYear(options: SyntheticYearOptions = {}): WindowedRelease[] {
  const rng = Xoshiro128.fromSeed(options.seed ?? 'synthetic-year');
  const months = monthsFrom(options.from ?? '2016-08', options.months ?? 12);
  const skipped = (analysis: string, windowId: string): boolean =>
    options.skip?.[analysis]?.includes(windowId) ?? false;
  const out: WindowedRelease[] = [];
  const add = (windowId: string, release: Release): void => {
    if (!skipped(release.analysis, windowId)) out.push({ release, windowId });
  };
  months.forEach((month, m) => {
    const window = monthWindow(month);
    const season = 1 + 0.25 * Math.sin((m / 12) * 2 * Math.PI);
    const meta = metaOf(window.end);
    add(month, continentRelease(window, meta, season, rng));
    add(month, durationRelease(window, meta, season, rng));
    add(month, countryRelease(window, meta, season, rng));
    add(month, pageviewsRelease(window, meta, rng));
    if (options.activeUsers ?? true) {
      add(month, seriesRelease('dau_series', window, meta, season, rng));
      add(`${month}-w30`, seriesRelease('mau_series', window, meta, season, rng));
      add(`${window.end}-w30`, mauRelease(window.end, meta, season, rng));
    }
    if (options.dailyDau) {
      for (const day of daysOf(window)) add(day, dauRelease(day, metaOf(day), season, rng));
    }
  });
  return out;
}

interface Meta {
  readonly created_at: string;
  readonly run_id: string;
}

function metaOf(end: string): Meta {
  const t = new Date(`${end}T09:00:00Z`);
  t.setUTCDate(t.getUTCDate() + 3);
  const iso = t.toISOString();
  return { created_at: iso, run_id: `${iso.slice(0, 10).replace(/-/g, '')}T090000Z-ab12cd` };
}

const noisy = (rng: Xoshiro128, x: number, spread: number): number =>
  Math.round(x * (1 + spread * (rng.float() - 0.5)));

function countPartition(key: string, value: number, h: number): ReleasePartition {
  return {
    key,
    value,
    ci95: [value - h, value + h],
    statistics: { count: { value, ci95: [value - h, value + h] } },
  };
}

function base(
  analysis: string,
  window: { start: string; end: string },
  meta: Meta,
): Pick<Release, 'schema' | 'analysis' | 'privacy_unit' | 'window' | 'guarantee' | 'created_at' | 'run_id'> {
  return {
    schema: RELEASE_SCHEMA,
    analysis,
    privacy_unit: 'user',
    window,
    guarantee:
      'Any one visitor, across all their sessions in the window, changes each published number by a bounded amount; ε = 1.',
    ...meta,
  };
}

const LAPLACE_1 = {
  epsilon: 1,
  delta: 0,
  mechanism: 'discrete_laplace',
  noise_scale: 1,
  max_partitions_contributed: 1,
  max_contributions_per_partition: 1,
  interval_method: 'exact discrete Laplace 95% interval',
} as const;

function continentRelease(window: Window, meta: Meta, season: number, rng: Xoshiro128): Release {
  return {
    ...base('sessions_per_continent', window, meta),
    statistic: 'count',
    statistics: ['count'],
    outputs: ['count'],
    partition_by: 'continent',
    privacy: LAPLACE_1,
    description: 'Sessions',
    partitions: CONTINENTS.map(([key, v]) => countPartition(key, noisy(rng, v * season, 0.2), 3)),
  };
}

function durationRelease(window: Window, meta: Meta, season: number, rng: Xoshiro128): Release {
  const privacy = {
    ...LAPLACE_1,
    noise_scale: 2,
    sum_noise_scale: 600000,
    granularity: 0.5,
    bounds: [0, 600000] as const,
    unit: 'ms',
    interval_method: 'union bound over the noisy count and sum',
  };
  return {
    ...base('avg_session_duration_per_device', window, meta),
    statistic: 'mean',
    statistics: ['mean'],
    outputs: ['mean'],
    partition_by: 'device_category',
    privacy: {
      ...privacy,
      statistics: {
        mean: { mechanism: 'discrete_laplace', epsilon: 1, delta: 0, interval_method: 'union bound' },
      },
    },
    description: 'Average session duration',
    partitions: DEVICES.map(([key, f]) => {
      const value = 180000 * f * season + 20000 * (rng.float() - 0.5) + 0.25;
      const h = 300 + 900 * (1 - f) + rng.float();
      const ci95 = [value - h, value + h * 1.1] as const;
      return { key, value, ci95, statistics: { mean: { value, ci95 } } };
    }),
  };
}

function countryRelease(window: Window, meta: Meta, season: number, rng: Xoshiro128): Release {
  const partitions: ReleasePartition[] = [];
  COUNTRIES.forEach((key, i) => {
    const expected = (24000 / (i + 1) ** 1.1) * season;
    // Selection keeps a key only with enough visitors: small countries come and go.
    if (expected < 300 && rng.float() < 0.4) return;
    partitions.push(countPartition(key, noisy(rng, expected, 0.3), 3));
  });
  return {
    ...base('sessions_per_country', window, meta),
    statistic: 'count',
    statistics: ['count'],
    outputs: ['count'],
    partition_by: 'country',
    privacy: {
      ...LAPLACE_1,
      partition_selection: {
        strategy: 'truncated_geometric',
        epsilon: 1,
        delta: 1e-6,
        note: 'a key absent from partitions is not a zero: it was not selected',
      },
    },
    description: 'Sessions',
    partitions,
  };
}

function pageviewsRelease(window: Window, meta: Meta, rng: Xoshiro128): Release {
  const stat = (mechanism: 'discrete_laplace' | 'discrete_gaussian') => ({
    mechanism,
    epsilon: 0.5,
    delta: 0,
    interval_method: 'union bound',
  });
  return {
    ...base('pageviews_per_device', window, meta),
    statistic: 'mean',
    statistics: ['mean', 'quantiles'],
    outputs: ['mean', 'p50', 'p90'],
    partition_by: 'device_category',
    privacy: {
      ...LAPLACE_1,
      noise_scale: 4,
      bounds: [0, 100],
      unit: 'pageviews',
      statistics: {
        mean: stat('discrete_laplace'),
        p50: stat('discrete_laplace'),
        p90: stat('discrete_laplace'),
      },
    },
    description: 'Pageviews per session',
    partitions: DEVICES.map(([key, f]) => {
      const v = (x: number, h: number) => ({ value: x, ci95: [x - h, x + h * 1.5] as const });
      const mean = v(4 * f + rng.float() * 0.3, 0.03 + rng.float() * 0.01);
      const p50 = v(1 + rng.float() * 0.01, 0.0015);
      const p90 = v(9 * f + rng.float(), 0.2);
      return { key, value: mean.value, ci95: mean.ci95, statistics: { mean, p50, p90 } };
    }),
  };
}

function seriesRelease(
  analysis: 'dau_series' | 'mau_series',
  window: Window,
  meta: Meta,
  season: number,
  rng: Xoshiro128,
): Release {
  const mau = analysis === 'mau_series';
  return {
    ...base(analysis, window, meta),
    statistic: 'count',
    partition_by: 'day',
    privacy: {
      epsilon: 1,
      delta: mau ? 1e-6 : 0,
      mechanism: mau ? 'discrete_gaussian' : 'discrete_laplace',
      ...(mau ? { rho: 0.0125, window_days: 30 } : {}),
      noise_scale: mau ? 7.5 : 4,
      max_partitions_contributed: 1,
      max_contributions_per_partition: 1,
      continual: { method: 'flippancy_bounded_tree', max_flippancy: mau ? 4 : 8, tree_levels: 6, steps: 31 },
      interval_method: 'exact per-node noise, summed over the tree path',
    },
    description: mau ? 'Active users, rolling 30 days' : 'Daily active users',
    partitions: daysOf(window).map((day) => {
      const value = noisy(rng, (mau ? 40000 : 1900) * season, 0.1);
      const h = mau ? 120 : 40;
      return { key: day, value, ci95: [value - h, value + h] };
    }),
  };
}

function mauRelease(end: string, meta: Meta, season: number, rng: Xoshiro128): Release {
  const value = noisy(rng, 40000 * season, 0.1);
  const start = new Date(`${end}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - 29);
  return {
    ...base('mau', { start: start.toISOString().slice(0, 10), end }, meta),
    statistic: 'count',
    partition_by: 'day',
    privacy: {
      epsilon: 0.5,
      delta: 1e-6,
      mechanism: 'discrete_gaussian',
      rho: 0.0106,
      noise_scale: 6.87,
      max_partitions_contributed: 1,
      max_contributions_per_partition: 1,
      window_days: 30,
      interval_method: 'exact discrete Gaussian 95% interval',
    },
    description: 'Active users, rolling 30 days',
    partitions: [{ key: end, value, ci95: [value - 14, value + 14] }],
  };
}

function dauRelease(day: string, meta: Meta, season: number, rng: Xoshiro128): Release {
  const value = noisy(rng, 1900 * season, 0.2);
  return {
    ...base('dau', { start: day, end: day }, meta),
    statistic: 'count',
    partition_by: 'day',
    privacy: { ...LAPLACE_1, epsilon: 0.3, noise_scale: 3.33 },
    description: 'Daily active users',
    partitions: [{ key: day, value, ci95: [value - 10, value + 10] }],
  };
}

interface Window {
  readonly start: string;
  readonly end: string;
}

function monthsFrom(first: string, n: number): string[] {
  const [y, m] = first.split('-').map(Number) as [number, number];
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 + i, 1));
    return d.toISOString().slice(0, 7);
  });
}

function monthWindow(month: string): Window {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const end = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return { start: `${month}-01`, end };
}

function daysOf(window: Window): string[] {
  const days: string[] = [];
  for (let d = new Date(`${window.start}T00:00:00Z`); ; d.setUTCDate(d.getUTCDate() + 1)) {
    const day = d.toISOString().slice(0, 10);
    days.push(day);
    if (day >= window.end) return days;
  }
}
