import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundedAggregateSql, userBucketOf, userBucketSql } from '../../src/analyses/bounded-sql.js';
import { planAnalysis } from '../../src/analyses/plan.js';
import { histogramEntries } from '../../src/analyses/release.js';
import { parseConfig, DEFAULT_CONFIG_INPUT } from '../../src/config/index.js';
import {
  boundContributions,
  meanMechanism,
  normalizedValue,
  quantileLeaf,
  quantileMechanism,
  seededRandom,
  type Contribution,
} from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { useTempEngine } from '../helpers/lake.js';
import { openSilverSource, type SilverSource } from '../../src/silver/silver-source.js';

const temp = useTempEngine();

/** Silver files as the analyses read them, for a lake whose first key version is v1. */
const silverOf = (files: readonly string[]): Promise<SilverSource> =>
  openSilverSource(temp.engine, files, { linkVersion: 'v1' });

interface Row {
  /** The person: their link, the privacy unit. */
  pid: string;
  /** Their pseudonym under the key version of the row's date (v2 from ROTATION on). */
  pseudonym: string;
  date: string;
  rid: string;
  pk: string;
  v: number | null;
}

/** The effective date of the rotation to key version v2 in the random rows. */
const ROTATION = '2016-08-16';

/**
 * Random Silver-like rows: users with several sessions spread over several partitions and over
 * August, where a key rotation on ROTATION gives each user a second pseudonym.
 */
function randomRows(seed: string, users: number): Row[] {
  const rng = seededRandom(seed);
  const pick = (n: number): number => Number(rng.randomBelow(BigInt(n)));
  const keys = ['desktop', 'mobile', 'tablet'];
  const rows: Row[] = [];
  for (let u = 0; u < users; u++) {
    const sessions = 1 + pick(6);
    for (let s = 0; s < sessions; s++) {
      const date = `2016-08-${String(1 + pick(31)).padStart(2, '0')}`;
      rows.push({
        pid: `u${u}`,
        pseudonym: date < ROTATION ? `u${u}` : `v2-of-u${u}`,
        date,
        rid: `s${u}-${s}`,
        pk: keys[pick(3)]!,
        v: pick(10) === 0 ? null : pick(700_001),
      });
    }
  }
  return rows;
}

/**
 * Writes `rows` as ingest writes Silver now (`user_link` where it is not the pseudonym: rows under
 * v2) or did before (`link: false`: no `user_link` column).
 */
async function writeSilver(
  rows: Row[],
  file: string,
  options: { link: boolean } = { link: true },
): Promise<void> {
  const values = rows
    .map(
      (r) =>
        `(DATE '${r.date}', ${sqlString(r.rid)}, ${sqlString(r.pseudonym)}, '${r.date < ROTATION ? 'v1' : 'v2'}', ${sqlString(r.pid)}, ${sqlString(r.pk)}, ${r.v ?? 'NULL'})`,
    )
    .join(',\n');
  await temp.engine
    .run(`COPY (SELECT * ${options.link ? 'REPLACE (nullif(user_link, user_pseudonym) AS user_link)' : 'EXCLUDE (user_link)'}
    FROM (VALUES ${values}) t(date, session_id, user_pseudonym, key_version, user_link, device_category, time_on_site_ms))
    TO ${sqlString(file)} (FORMAT parquet)`);
}

/**
 * The SQL bounding's per-partition aggregates of a mean analysis with bounds (L0, Linf, total)
 * over `rows`, and the same from dp's reference bounder with each person (link) as privacy id.
 */
async function sqlAndReference(
  bounds: readonly [number, number, number | undefined],
  rows: readonly Row[],
  silver: SilverSource,
  missing: 'zero' | 'exclude' = 'zero',
): Promise<{ sql: unknown[][]; reference: unknown[][]; dropped: number }> {
  const [l0, linf, total] = bounds;
  const config = parseConfig(DEFAULT_CONFIG_INPUT);
  const plan = planAnalysis({
    ...config.analyses[1]!,
    bounds: [0, 600_000],
    missing_value: missing,
    max_partitions_contributed: l0,
    max_contributions_per_partition: linf,
    ...(total !== undefined ? { max_contributions: total } : {}),
  });
  if (plan.value === undefined) throw new Error('expected a value plan');
  const mechanism = meanMechanism(1, plan.bounds, plan.value.lo, plan.value.hi);
  const salt = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const sql = await temp.engine.all<{
    pk: string;
    count: bigint;
    users: bigint;
    normalized_sum: bigint;
    normalized_sum_squares: bigint;
  }>(boundedAggregateSql(plan, silver, [{ id: '2016-08', start: '2016-08-01', end: '2016-08-31', salt }]));

  // The estimand: a missing value is 0 (missing_value "zero") or the row is left out ("exclude").
  const input: Contribution<number>[] = rows
    .filter((r) => plan.value!.missing === 'zero' || r.v !== null)
    .map((r) => ({ privacyId: r.pid, partitionKey: r.pk, rowId: r.rid, value: r.v ?? 0 }));
  const kept = boundContributions(input, plan.bounds, salt);
  const expected = new Map<string, { count: bigint; users: Set<string>; sum: bigint; squares: bigint }>();
  for (const c of kept) {
    const e = expected.get(c.partitionKey) ?? { count: 0n, users: new Set(), sum: 0n, squares: 0n };
    const x = normalizedValue(mechanism, c.value);
    e.count += 1n;
    e.users.add(c.privacyId);
    e.sum += x;
    e.squares += x * x;
    expected.set(c.partitionKey, e);
  }
  return {
    sql: sql.map((r) => [
      r.pk,
      BigInt(r.count),
      BigInt(r.users),
      BigInt(r.normalized_sum),
      BigInt(r.normalized_sum_squares),
    ]),
    reference: [...expected.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, v.count, BigInt(v.users.size), v.sum, v.squares]),
    dropped: input.length - kept.length,
  };
}

describe('bounding + aggregation in SQL equals the reference implementation in dp/', () => {
  for (const [l0, linf, total] of [
    [1, 1, undefined],
    [2, 1, undefined],
    [1, 3, undefined],
    [2, 3, undefined],
    [2, 3, 4],
    [3, 2, 1],
  ] as const) {
    it(`matches per person across a key rotation for L0=${l0}, Linf=${linf}, total=${total ?? 'none'} (mean over a value with nulls)`, async () => {
      const rows = randomRows(`bounded-sql-${l0}-${linf}-${total}`, 300);
      const file = join(temp.dir, `silver-${l0}-${linf}-${total}.parquet`);
      await writeSilver(rows, file);
      const r = await sqlAndReference([l0, linf, total], rows, await silverOf([file]));
      expect(r.sql).toEqual(r.reference);
      // Bounding did drop rows here, so the comparison is not trivially "everything kept".
      expect(r.dropped).toBeGreaterThan(0);
    });
  }

  it('matches when rows without a value are left out (missing_value "exclude")', async () => {
    const rows = randomRows('bounded-sql-exclude', 300);
    const file = join(temp.dir, 'silver-exclude.parquet');
    await writeSilver(rows, file);
    const zero = await sqlAndReference([1, 2, undefined], rows, await silverOf([file]), 'zero');
    const exclude = await sqlAndReference([1, 2, undefined], rows, await silverOf([file]), 'exclude');
    expect(exclude.sql).toEqual(exclude.reference);
    // The two estimands differ on this data (it has rows without a value).
    expect(exclude.sql).not.toEqual(zero.sql);
  });

  it('matches over files written before Silver kept the link (key version v1) next to linked ones', async () => {
    const rows = randomRows('bounded-sql-legacy', 300);
    const before = join(temp.dir, 'silver-legacy-v1.parquet');
    const after = join(temp.dir, 'silver-linked-v2.parquet');
    await writeSilver(
      rows.filter((r) => r.date < ROTATION),
      before,
      { link: false },
    );
    await writeSilver(
      rows.filter((r) => r.date >= ROTATION),
      after,
    );
    const silver = await silverOf([before, after]);
    expect(silver).toMatchObject({ unit: 'coalesce(user_link, user_pseudonym)', rows: rows.length });
    expect(silver.relation).toContain('union_by_name = true');
    const r = await sqlAndReference([2, 2, undefined], rows, silver);
    expect(r.sql).toEqual(r.reference);
    expect(r.dropped).toBeGreaterThan(0);
  });
});

describe('the bounding SQL yields the quantile tree leaf histogram of the bounded rows', () => {
  for (const total of [undefined, 2] as const) {
    it(`matches dp's quantileLeaf over the reference bounder's rows (L0=2, Linf=2, total=${total ?? 'none'})`, async () => {
      const base = parseConfig(DEFAULT_CONFIG_INPUT).analyses[1]!;
      const plan = planAnalysis({
        ...base,
        bounds: [0, 600_000],
        missing_value: 'exclude',
        statistics: ['mean', 'quantiles'],
        quantiles: [0.5, 0.9],
        max_partitions_contributed: 2,
        max_contributions_per_partition: 2,
        ...(total !== undefined ? { max_contributions: total } : {}),
      });
      expect(plan.quantileLeaves).toBeDefined();
      const rows = randomRows(`bounded-sql-quantiles-${total}`, 300);
      const file = join(temp.dir, `silver-q-${total}.parquet`);
      await writeSilver(rows, file);
      const salt = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
      const sql = await temp.engine.all<{ pk: string; histogram: unknown }>(
        boundedAggregateSql(plan, await silverOf([file]), [
          { id: '2016-08', start: '2016-08-01', end: '2016-08-31', salt },
        ]),
      );
      const m = quantileMechanism({ epsilon: 1, bounds: plan.bounds, lo: 0, hi: 600000, quantiles: [0.5] });
      const input: Contribution<number>[] = rows
        .filter((r) => r.v !== null)
        .map((r) => ({ privacyId: r.pid, partitionKey: r.pk, rowId: r.rid, value: r.v! }));
      const expected = new Map<string, Map<number, bigint>>();
      for (const c of boundContributions(input, plan.bounds, salt)) {
        const h = expected.get(c.partitionKey) ?? new Map<number, bigint>();
        const leaf = quantileLeaf(m, c.value);
        h.set(leaf, (h.get(leaf) ?? 0n) + 1n);
        expected.set(c.partitionKey, h);
      }
      expect(
        sql.map((r) => [r.pk, histogramEntries(r.histogram).map(({ x, n }) => [Number(x), n] as const)]),
      ).toEqual(
        [...expected.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, h]) => [k, [...h.entries()].sort(([a], [b]) => a - b)]),
      );
    });
  }
});

describe('user buckets', () => {
  it('puts a unit in the same bucket in SQL as in TypeScript (the reference other engines mirror)', async () => {
    const rng = seededRandom('user-buckets');
    const units = [
      '',
      'é',
      "o'brien",
      ...Array.from({ length: 500 }, (_, i) => `${i}-${rng.randomBelow(1n << 64n).toString(16)}`),
    ];
    for (const count of [2, 7, 32, 1000]) {
      const sql = await temp.engine.all<{ u: string; b: bigint }>(
        `SELECT u, ${userBucketSql('u', count)} AS b FROM (VALUES ${units.map((u) => `(${sqlString(u)})`).join(', ')}) t(u)`,
      );
      const want = units.map((u) => userBucketOf(u, count));
      expect(new Map(sql.map((r) => [r.u, Number(r.b)]))).toEqual(new Map(units.map((u, i) => [u, want[i]])));
      expect(want.every((b) => Number.isInteger(b) && b >= 0 && b < count)).toBe(true);
    }
    // The first 32 bits of md5('abc') = 0x90015098 = 2416005272.
    expect(userBucketOf('abc', 1000)).toBe(272);
  });

  it('spreads 32-hex pseudonyms evenly over the buckets', () => {
    const rng = seededRandom('user-buckets-spread');
    const sizes = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++)
      sizes[
        userBucketOf(
          rng
            .randomBelow(1n << 128n)
            .toString(16)
            .padStart(32, '0'),
          8,
        )
      ]! += 1;
    // Binomial(8000, 1/8): mean 1000, sd ≈ 30; below 800 or above 1200 has probability < 1e-10.
    for (const n of sizes) {
      expect(n).toBeGreaterThan(800);
      expect(n).toBeLessThan(1200);
    }
  });

  for (const count of [2, 5, 16]) {
    it(`sums to one query's per-partition aggregates over ${count} buckets, across a key rotation (L0=2, Linf=2)`, async () => {
      const rows = randomRows(`bounded-sql-buckets-${count}`, 300);
      const file = join(temp.dir, `silver-buckets-${count}.parquet`);
      await writeSilver(rows, file);
      const silver = await silverOf([file]);
      const plan = planAnalysis({
        ...parseConfig(DEFAULT_CONFIG_INPUT).analyses[1]!,
        statistics: ['mean', 'quantiles'],
        quantiles: [0.5],
        max_partitions_contributed: 2,
        max_contributions_per_partition: 2,
      });
      const windows = [{ id: '2016-08', start: '2016-08-01', end: '2016-08-31', salt: 'c0ffee' }];
      type Agg = {
        pk: string;
        count: bigint;
        users: bigint;
        normalized_sum: bigint;
        normalized_sum_squares: bigint;
        histogram: unknown;
      };
      const flat = (r: Agg): (string | bigint)[] => [
        r.pk,
        BigInt(r.count),
        BigInt(r.users),
        BigInt(r.normalized_sum),
        BigInt(r.normalized_sum_squares),
        ...histogramEntries(r.histogram).flatMap(({ x, n }) => [`leaf ${x}`, n]),
      ];
      const whole = (await temp.engine.all<Agg>(boundedAggregateSql(plan, silver, windows))).map(flat);
      const sums = new Map<
        string,
        { count: bigint; users: bigint; sum: bigint; squares: bigint; leaves: Map<bigint, bigint> }
      >();
      let nonEmpty = 0;
      for (let index = 0; index < count; index++) {
        const part = await temp.engine.all<Agg>(boundedAggregateSql(plan, silver, windows, { index, count }));
        if (part.length > 0) nonEmpty++;
        for (const r of part) {
          const s = sums.get(r.pk) ?? { count: 0n, users: 0n, sum: 0n, squares: 0n, leaves: new Map() };
          s.count += BigInt(r.count);
          s.users += BigInt(r.users);
          s.sum += BigInt(r.normalized_sum);
          s.squares += BigInt(r.normalized_sum_squares);
          for (const { x, n } of histogramEntries(r.histogram)) s.leaves.set(x, (s.leaves.get(x) ?? 0n) + n);
          sums.set(r.pk, s);
        }
      }
      const bucketed = [...sums.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([pk, s]) => [
          pk,
          s.count,
          s.users,
          s.sum,
          s.squares,
          ...[...s.leaves.entries()]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .flatMap(([x, n]) => [`leaf ${x}`, n]),
        ]);
      expect(bucketed).toEqual(whole);
      // Every bucket held some users, so the split was real.
      expect(nonEmpty).toBe(count);
    });
  }
});
