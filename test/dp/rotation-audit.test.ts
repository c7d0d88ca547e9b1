import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  boundedAggregateSql,
  planAll,
  type AnalysisPlan,
  type BoundedAggregate,
} from '../../src/analyses/index.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { newSamplingSalt, seededRandom, selectPartition } from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { openSilverSource, type SilverSource } from '../../src/silver/silver-source.js';
import { useTempEngine } from '../helpers/lake.js';
import { audit } from './audit.js';

/**
 * Empirical ε-audit (see ./audit.ts) of the bounded + noised release on neighbouring Silver
 * datasets D and D′ = D + one person whose sessions span a key rotation: one before the
 * effective date (pseudonym under v1) and one after (under v2), in the same month. The bounding
 * SQL runs on both datasets for a few fresh sampling salts (the release's secret randomness
 * besides the noise; trial i uses salt i mod SALTS), then the noise is drawn many times on the
 * bounded aggregates by the analyses' own release code. Grouping by the person's link, the added
 * person moves a bounded count by at most 1 and a key's distinct users by at most 1, so the audit
 * stays ≤ the declared ε (false failure ≤ 1e-6 per audit); grouping by the per-key pseudonym (the
 * old behaviour, the positive control) counts them twice and the audit must catch it.
 */

const temp = useTempEngine();

const ROTATION = '2016-08-16';
const SALTS = 4;
const WINDOW = { id: '2016-08', start: '2016-08-01', end: '2016-08-31' };

interface Session {
  readonly person: string;
  readonly date: string;
  readonly continent: string;
  readonly country: string;
}

/**
 * D: 40 persons with 1–3 sessions each over August, in one continent each (some span the
 * rotation themselves), and `small` persons with one session each in Liechtenstein, a key only
 * they have. D′ adds the audited person: Liechtenstein, on the 5th and on the 20th.
 */
function neighbours(small: number): { readonly d: Session[]; readonly dPrime: Session[] } {
  const rng = seededRandom('rotation-audit-data');
  const pick = (n: number): number => Number(rng.randomBelow(BigInt(n)));
  const places = [
    ['Europe', 'Germany'],
    ['Americas', 'United States'],
    ['Asia', 'Japan'],
  ] as const;
  const d: Session[] = [];
  for (let p = 0; p < 40; p++) {
    const [continent, country] = places[p % 3]!;
    for (let s = 1 + pick(3); s > 0; s--) {
      d.push({
        person: `p${p}`,
        date: `2016-08-${String(1 + pick(31)).padStart(2, '0')}`,
        continent,
        country,
      });
    }
  }
  for (let p = 0; p < small; p++)
    d.push({ person: `s${p}`, date: '2016-08-03', continent: 'Europe', country: 'Liechtenstein' });
  const added = ['2016-08-05', '2016-08-20'].map((date) => ({
    person: 'x',
    date,
    continent: 'Europe',
    country: 'Liechtenstein',
  }));
  return { d, dPrime: [...d, ...added] };
}

/** Sessions as Silver rows: pseudonym and key version by date, the link (the person) where it is not the pseudonym, as ingest writes them. */
async function writeSilver(sessions: readonly Session[], name: string): Promise<SilverSource> {
  const file = join(temp.dir, name);
  const values = sessions
    .map((s, i) => {
      const v2 = s.date >= ROTATION;
      return `(DATE '${s.date}', 's${i}', ${sqlString(v2 ? `v2-${s.person}` : s.person)}, '${v2 ? 'v2' : 'v1'}', ${sqlString(s.person)}, ${sqlString(s.continent)}, ${sqlString(s.country)})`;
    })
    .join(', ');
  await temp.engine
    .run(`COPY (SELECT * REPLACE (nullif(user_link, user_pseudonym) AS user_link) FROM (VALUES ${values})
    t(date, session_id, user_pseudonym, key_version, user_link, continent, country)) TO ${sqlString(file)} (FORMAT parquet)`);
  return openSilverSource(temp.engine, [file], { linkVersion: 'v1' });
}

/** The bounding SQL's per-key aggregates of `plan` over `silver`, once per salt. */
async function bounded(
  plan: AnalysisPlan,
  silver: SilverSource,
  salts: readonly string[],
): Promise<Map<string, BoundedAggregate>[]> {
  const out: Map<string, BoundedAggregate>[] = [];
  for (const salt of salts) {
    const rows = await temp.engine.all<{
      pk: string;
      count: bigint;
      users: bigint;
      normalized_sum: bigint;
      normalized_sum_squares: bigint;
    }>(boundedAggregateSql(plan, silver, [{ ...WINDOW, salt }]));
    out.push(
      new Map(
        rows.map((r) => [
          r.pk,
          {
            count: BigInt(r.count),
            users: BigInt(r.users),
            normalizedSum: BigInt(r.normalized_sum),
            normalizedSumSquares: BigInt(r.normalized_sum_squares),
          },
        ]),
      ),
    );
  }
  return out;
}

/** Rows of D and D′ as bounded by person (their link) or, the old behaviour, by per-key pseudonym. */
type Grouping = 'person' | 'pseudonym';

const plans = new Map(planAll(parseConfig(DEFAULT_CONFIG_INPUT)).map((p) => [p.name, p]));
const salts = ((rng) => Array.from({ length: SALTS }, () => newSamplingSalt(rng)))(
  seededRandom('rotation-audit-salts'),
);

async function neighbourAggregates(
  plan: AnalysisPlan,
  small: number,
  grouping: Grouping,
): Promise<{ d: Map<string, BoundedAggregate>[]; dPrime: Map<string, BoundedAggregate>[] }> {
  const { d, dPrime } = neighbours(small);
  const as = (s: SilverSource): SilverSource =>
    grouping === 'person' ? s : { ...s, unit: 'user_pseudonym' };
  const silverD = as(await writeSilver(d, `d-${plan.name}-${grouping}.parquet`));
  const silverN = as(await writeSilver(dPrime, `d-prime-${plan.name}-${grouping}.parquet`));
  expect(silverD.unit).toBe(grouping === 'person' ? 'coalesce(user_link, user_pseudonym)' : 'user_pseudonym');
  return { d: await bounded(plan, silverD, salts), dPrime: await bounded(plan, silverN, salts) };
}

/**
 * Sessions per continent (count, L0 = Linf = 1, ε = 1): how far the added person moves Europe's
 * bounded count (per salt) and ε̂_lower of its release, with events on Europe's count.
 */
async function auditCount(grouping: Grouping): Promise<{ shifts: bigint[]; lower: number; epsilon: number }> {
  const plan = plans.get('sessions_per_continent')!;
  const { d, dPrime } = await neighbourAggregates(plan, 5, grouping);
  // The added person is in Europe only: every other partition's release is distributed alike.
  for (let k = 0; k < SALTS; k++)
    for (const key of plan.partitions.kind === 'public' ? plan.partitions.keys : [])
      if (key !== 'Europe') expect(dPrime[k]!.get(key)).toEqual(d[k]!.get(key));
  const europe = (aggs: Map<string, BoundedAggregate>[], trial: number): BoundedAggregate =>
    aggs[trial % SALTS]!.get('Europe')!;
  const c = Number(europe(d, 0).count);
  const statistic = plan.statistics[0]!;
  let i = 0;
  let j = 0;
  const r = audit(
    `rotation COUNT by ${grouping}`,
    { epsilon: plan.epsilon, delta: 0 },
    (rng) => statistic.release(europe(d, i++), rng).count!.value,
    (rng) => statistic.release(europe(dPrime, j++), rng).count!.value,
    [(o) => o >= c + 2, (o) => o >= c + 1, (o) => o <= c],
    `rotation-audit-count-${grouping}`,
    100_000,
  );
  const shifts = d.map((_, k) => europe(dPrime, k).count - europe(d, k).count);
  return { shifts, lower: r.epsilonLower, epsilon: plan.epsilon };
}

/** ε̂_lower of private partition selection of sessions per country, events on Liechtenstein's selection. */
async function auditSelection(grouping: Grouping): Promise<{ lower: number; epsilon: number }> {
  const plan = plans.get('sessions_per_country')!;
  if (plan.partitions.kind !== 'private') throw new Error('expected private partitions');
  const { mechanism, epsilon, delta } = plan.partitions;
  // The key's persons in D, from the public keep probabilities: the fewest kept w.p. ≥ 2%.
  let small = 1;
  while (mechanism.keepProbability(small) < 0.02) small += 1;
  const { d, dPrime } = await neighbourAggregates(plan, small, grouping);
  expect(d[0]!.get('Liechtenstein')!.users).toBe(BigInt(small));
  const users = (aggs: Map<string, BoundedAggregate>[], trial: number): bigint =>
    aggs[trial % SALTS]!.get('Liechtenstein')!.users;
  let i = 0;
  let j = 0;
  const r = audit(
    `rotation partition selection by ${grouping}`,
    { epsilon, delta },
    (rng) => selectPartition(mechanism, users(d, i++), rng),
    (rng) => selectPartition(mechanism, users(dPrime, j++), rng),
    [(o) => o, (o) => !o],
    `rotation-audit-selection-${grouping}`,
    200_000,
  );
  return { lower: r.epsilonLower, epsilon };
}

describe('ε-audit of releases on neighbouring lakes whose extra person spans a key rotation (false failure 1e-6 per audit)', () => {
  it('bounded by person, the extra person moves the count by 1: ε̂_lower <= ε', async () => {
    const { shifts, lower, epsilon } = await auditCount('person');
    expect(shifts).toEqual(Array(SALTS).fill(1n));
    expect(lower).toBeLessThanOrEqual(epsilon);
  });
  it('bounded by per-key pseudonym (the old behaviour, positive control): counted twice, ε̂_lower > ε', async () => {
    const { shifts, lower, epsilon } = await auditCount('pseudonym');
    expect(shifts).toEqual(Array(SALTS).fill(2n));
    expect(lower).toBeGreaterThan(epsilon);
  });

  it('private partition selection by person: ε̂_lower <= ε', async () => {
    const { lower, epsilon } = await auditSelection('person');
    expect(lower).toBeLessThanOrEqual(epsilon);
  });
  it('private partition selection by per-key pseudonym (positive control): ε̂_lower > ε', async () => {
    const { lower, epsilon } = await auditSelection('pseudonym');
    expect(lower).toBeGreaterThan(epsilon);
  });
});
