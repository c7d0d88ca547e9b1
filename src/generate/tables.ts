/**
 * The distributions the synthetic sessions are drawn from, loosely shaped after the GA360
 * sample (Google Merchandise Store, 2016-08 .. 2017-07). Weights need not sum to 1.
 */

/** A weighted choice: `pickIndex(table, u)` maps a uniform `u ∈ [0, 1)` to an index. */
export interface WeightedTable {
  readonly cumulative: Float64Array;
}

export function weightedTable(weights: readonly number[]): WeightedTable {
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = new Float64Array(weights.length);
  let acc = 0;
  weights.forEach((w, i) => {
    acc += w / total;
    cumulative[i] = acc;
  });
  cumulative[weights.length - 1] = 1;
  return { cumulative };
}

/** Binary search for the first cumulative weight above `u`. */
export function pickIndex(table: WeightedTable, u: number): number {
  const c = table.cumulative;
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (u < c[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

type Weights = readonly (readonly [string, number])[];

/**
 * Continents (roughly the GA360 sample's shares: Americas 50%, Asia 25%, Europe 22%,
 * Oceania 1.7%, Africa 1.6%, not set 0.2%) with a few countries each. Some names are
 * non-ASCII on purpose, as in the real export.
 */
export const CONTINENTS: readonly {
  readonly name: string;
  readonly weight: number;
  readonly countries: Weights;
}[] = [
  {
    name: 'Americas',
    weight: 50,
    countries: [
      ['United States', 80],
      ['Canada', 6],
      ['Brazil', 5],
      ['Mexico', 5],
      ['Argentina', 2],
      ['Curaçao', 2],
    ],
  },
  {
    name: 'Asia',
    weight: 25,
    countries: [
      ['India', 30],
      ['Japan', 15],
      ['Taiwan', 12],
      ['Thailand', 10],
      ['Vietnam', 10],
      ['Turkey', 10],
      ['Singapore', 8],
      ['South Korea', 5],
    ],
  },
  {
    name: 'Europe',
    weight: 22,
    countries: [
      ['United Kingdom', 30],
      ['Germany', 20],
      ['France', 15],
      ['Spain', 10],
      ['Italy', 10],
      ['Netherlands', 10],
      ['Åland Islands', 5],
    ],
  },
  {
    name: 'Oceania',
    weight: 1.7,
    countries: [
      ['Australia', 85],
      ['New Zealand', 15],
    ],
  },
  {
    name: 'Africa',
    weight: 1.6,
    countries: [
      ['Egypt', 30],
      ['Nigeria', 25],
      ['South Africa', 25],
      ['Kenya', 10],
      ['Côte d’Ivoire', 10],
    ],
  },
  { name: '(not set)', weight: 0.2, countries: [['(not set)', 1]] },
];

/** Device categories (desktop 73%, mobile 23%, tablet 4%), each with its browsers. */
export const DEVICES: readonly {
  readonly name: string;
  readonly weight: number;
  /** Scales session duration, so the per-device means differ. */
  readonly durationFactor: number;
  readonly browsers: Weights;
}[] = [
  {
    name: 'desktop',
    weight: 73,
    durationFactor: 1,
    browsers: [
      ['Chrome', 70],
      ['Safari', 10],
      ['Firefox', 8],
      ['Internet Explorer', 5],
      ['Edge', 4],
      ['Opera', 2],
      ['YaBrowser', 1],
    ],
  },
  {
    name: 'mobile',
    weight: 23,
    durationFactor: 0.65,
    browsers: [
      ['Chrome', 50],
      ['Safari', 40],
      ['Samsung Internet', 4],
      ['Android Webview', 3],
      ['Opera Mini', 2],
      ['UC Browser', 1],
    ],
  },
  {
    name: 'tablet',
    weight: 4,
    durationFactor: 0.85,
    browsers: [
      ['Safari', 60],
      ['Chrome', 35],
      ['Android Webview', 5],
    ],
  },
];

/** Channel groupings with the traffic sources and campaigns that arrive through each. */
export const CHANNELS: readonly {
  readonly name: string;
  readonly weight: number;
  readonly sources: Weights;
  readonly campaigns: Weights;
}[] = [
  {
    name: 'Organic Search',
    weight: 42,
    sources: [
      ['google', 90],
      ['bing', 4],
      ['yahoo', 3],
      ['baidu', 2],
      ['duckduckgo.com', 1],
    ],
    campaigns: [['(not set)', 1]],
  },
  {
    name: 'Social',
    weight: 25,
    sources: [
      ['youtube.com', 80],
      ['facebook.com', 8],
      ['quora.com', 5],
      ['reddit.com', 4],
      ['m.facebook.com', 3],
    ],
    campaigns: [['(not set)', 1]],
  },
  { name: 'Direct', weight: 16, sources: [['(direct)', 1]], campaigns: [['(not set)', 1]] },
  {
    name: 'Referral',
    weight: 12,
    sources: [
      ['mall.googleplex.com', 50],
      ['analytics.google.com', 25],
      ['sites.google.com', 15],
      ['google.com', 10],
    ],
    campaigns: [['(not set)', 1]],
  },
  {
    name: 'Paid Search',
    weight: 2.8,
    sources: [['google', 1]],
    campaigns: [
      ['AW - Dynamic Search Ads Whole Site', 60],
      ['AW - Accessories', 30],
      ['AW - Electronics', 10],
    ],
  },
  { name: 'Affiliates', weight: 1.8, sources: [['Partners', 1]], campaigns: [['Data Share Promo', 1]] },
  {
    name: 'Display',
    weight: 0.7,
    sources: [['dfa', 1]],
    campaigns: [
      ['(not set)', 70],
      ['AW - Apparel', 30],
    ],
  },
  { name: '(Other)', weight: 0.01, sources: [['(not set)', 1]], campaigns: [['(not set)', 1]] },
];

/** The continent and device names, in the order the truth file lists them. */
export const CONTINENT_NAMES: readonly string[] = CONTINENTS.map((c) => c.name);
export const DEVICE_NAMES: readonly string[] = DEVICES.map((d) => d.name);
