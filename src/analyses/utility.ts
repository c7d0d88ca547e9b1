import { sqlString, type Engine } from '../engine/duckdb.js';
import { countMechanism, newSamplingSalt, releaseCount, type RandomSource } from '../dp/index.js';
import type { SilverSource } from '../silver/silver-source.js';
import type { AnalysisPlan } from './plan.js';
import type { Window } from './release.js';

/** Histogram buckets: 1…16 one by one, then powers of two up to 2^20, then "more". */
const CONTRIBUTION_BUCKETS: readonly number[] = [
  ...Array.from({ length: 16 }, (_, i) => i + 1),
  ...Array.from({ length: 16 }, (_, i) => 2 ** (i + 5)),
];
/** Value buckets: [0, 1), then [2^k − 1, 2^(k+1) − 1) for k = 1…40 (values are clamped at 0). */
const VALUE_BUCKET_COUNT = 41;

/** Share of users whose contributions the suggested bounds keep whole. */
export const UTILITY_COVERAGE = 0.95;

/** What `explain --utility` found for one analysis (DP outputs and public parameters only). */
export interface UtilitySuggestion {
  readonly analysis: string;
  readonly window: string;
  readonly epsilon: number;
  /** Smallest bucket bound covering ≥ 95% of users' partitions (L0), per-partition rows (Linf), values. */
  readonly maxPartitionsContributed: number;
  readonly maxContributionsPerPartition: number;
  /** Upper value clamp, when the analysis has a value. */
  readonly valueUpper?: number;
  /** Noisy share of users the configured bounds keep whole (L0, Linf) or unclamped (value). */
  readonly configuredCoverage: { readonly l0: number; readonly linf: number; readonly value?: number };
}

/**
 * PipelineDP-style utility analysis for one analysis and one window: DP histograms of each user's
 * contribution profile (partitions touched, most rows in one partition, and one of their values
 * chosen by a keyed hash) with discrete Laplace noise, then bounds read off the noisy
 * histograms: the smallest bucket bound that covers 95% of users. A user is the privacy unit of
 * `silver` (the person across key versions), so each user falls in exactly one
 * bucket of each histogram (sensitivity 1), so each histogram is (ε/k)-DP with k histograms;
 * buckets are public, all released.
 */
export async function suggestBounds(
  engine: Engine,
  plan: AnalysisPlan,
  silver: SilverSource,
  window: Window,
  epsilon: number,
  rng: RandomSource,
): Promise<UtilitySuggestion> {
  const histograms = plan.value ? 3 : 2;
  const mech = countMechanism(epsilon / histograms, {
    maxPartitionsContributed: 1,
    maxContributionsPerPartition: 1,
  });
  const salt = newSamplingSalt(rng);
  const keyFilter =
    plan.partitions.kind === 'public'
      ? `${plan.partitionBy} IN (${plan.partitions.keys.map(sqlString).join(', ')})`
      : `${plan.partitionBy} IS NOT NULL`;
  const v = plan.value;
  const rows = await engine.all<{ np: bigint; maxn: bigint; vb: number | null }>(`
WITH src AS (
  SELECT ${silver.unit} AS pid, session_id AS rid, CAST(${plan.partitionBy} AS VARCHAR) AS pk${v ? `, ${v.column} AS v` : ''}
  FROM ${silver.relation}
  WHERE date BETWEEN DATE ${sqlString(window.start)} AND DATE ${sqlString(window.end)} AND ${keyFilter}
),
cells AS (SELECT pid, pk, count(*) AS n FROM src GROUP BY pid, pk),
users AS (SELECT pid, count(*) AS np, max(n) AS maxn FROM cells GROUP BY pid)
${
  v
    ? `, vals AS (SELECT pid, arg_min(v, md5(${sqlString(salt)} || '|' || pid || '|' || rid)) AS v FROM src WHERE v IS NOT NULL GROUP BY pid)
SELECT u.np, u.maxn, CASE WHEN vals.v IS NULL THEN NULL ELSE least(${VALUE_BUCKET_COUNT - 1}, CAST(floor(log2(greatest(CAST(vals.v AS DOUBLE), 0) + 1)) AS INTEGER)) END AS vb
FROM users u LEFT JOIN vals USING (pid)`
    : 'SELECT np, maxn, NULL AS vb FROM users'
}`);
  const bucketOf = (n: number): number => {
    const i = CONTRIBUTION_BUCKETS.findIndex((b) => n <= b);
    return i === -1 ? CONTRIBUTION_BUCKETS.length : i;
  };
  const l0Hist = new Array<bigint>(CONTRIBUTION_BUCKETS.length + 1).fill(0n);
  const linfHist = new Array<bigint>(CONTRIBUTION_BUCKETS.length + 1).fill(0n);
  const valueHist = new Array<bigint>(VALUE_BUCKET_COUNT).fill(0n);
  for (const r of rows) {
    l0Hist[bucketOf(Number(r.np))]! += 1n;
    linfHist[bucketOf(Number(r.maxn))]! += 1n;
    if (r.vb !== null) valueHist[r.vb]! += 1n;
  }
  // Everything below is post-processing of noisy counts (negative ones read as 0).
  const noisy = (h: bigint[]): number[] => h.map((c) => Math.max(0, releaseCount(mech, c, rng).value));
  const nl0 = noisy(l0Hist);
  const nlinf = noisy(linfHist);
  const nval = v ? noisy(valueHist) : [];
  const coverIndex = (h: number[]): number => {
    const total = h.reduce((a, b) => a + b, 0);
    let acc = 0;
    for (let i = 0; i < h.length; i++) {
      acc += h[i]!;
      if (total > 0 && acc >= UTILITY_COVERAGE * total) return i;
    }
    return h.length - 1;
  };
  const covered = (h: number[], lastIndex: number): number => {
    const total = h.reduce((a, b) => a + b, 0);
    const acc = h.slice(0, lastIndex + 1).reduce((a, b) => a + b, 0);
    return total > 0 ? acc / total : 0;
  };
  const bucketBound = (i: number): number =>
    CONTRIBUTION_BUCKETS[Math.min(i, CONTRIBUTION_BUCKETS.length - 1)]!;
  const valueUpper = (i: number): number => 2 ** (i + 1) - 1;
  const lastCovering = (bound: number): number => {
    const i = CONTRIBUTION_BUCKETS.findIndex((b) => bound <= b);
    // A bound between two bucket edges is credited only with the buckets wholly below it.
    return i === -1 ? CONTRIBUTION_BUCKETS.length : CONTRIBUTION_BUCKETS[i] === bound ? i : i - 1;
  };
  const valueIndex = v ? Math.floor(Math.log2(Math.max(0, v.hi) + 1)) - 1 : 0;
  return {
    analysis: plan.name,
    window: window.id,
    epsilon,
    maxPartitionsContributed: bucketBound(coverIndex(nl0)),
    maxContributionsPerPartition: bucketBound(coverIndex(nlinf)),
    ...(v ? { valueUpper: valueUpper(coverIndex(nval)) } : {}),
    configuredCoverage: {
      l0: covered(nl0, lastCovering(plan.bounds.maxPartitionsContributed)),
      linf: covered(nlinf, lastCovering(plan.bounds.maxContributionsPerPartition)),
      ...(v ? { value: covered(nval, valueIndex) } : {}),
    },
  };
}
