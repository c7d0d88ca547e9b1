import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { boundingPlanOf, type BoundingPlan, type StagedWindow } from '../../src/analyses/bounding-plan.js';
import { duckdbBoundedSql, stagedColumns, stagedRowsSql } from '../../src/analyses/bounded-sql.js';
import { mergeSparkRows, sparkBoundedAggregateSql } from '../../src/analyses/bounded-spark-sql.js';
import { planAnalysis, type AnalysisPlan } from '../../src/analyses/plan.js';
import {
  boundedAggregatesOfAll,
  histogramEntries,
  type WindowAggregates,
} from '../../src/analyses/release.js';
import { sparkBoundedAggregatesOfAll } from '../../src/analyses/spark-aggregates.js';
import type { BoundedAggregate } from '../../src/analyses/statistics.js';
import {
  DEFAULT_CONFIG_INPUT,
  parseConfig,
  type AnalysisConfig,
  type StatisticName,
} from '../../src/config/index.js';
import {
  boundContributions,
  normalizedValue,
  quantileLeaf,
  quantileMechanism,
  seededRandom,
  type Contribution,
} from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { openSilverSource } from '../../src/silver/silver-source.js';
import { useTempEngine } from '../helpers/lake.js';
import { duckdbAsSpark, sparkToDuckdb } from '../helpers/spark-on-duckdb.js';

const temp = useTempEngine();

/** Ids and keys beyond ASCII, and with quotes and the hash separator, hashed byte for byte alike. */
const PEOPLE = ['ana', 'Zoë', 'Łukasz', '山田', "O'Brien", 'a|b', '🙂x', 'b"c'];
const KEYS = ['desktop', 'mobile', 'tablet', 'Amériques', '日本', "d'Ivoire"];
/** A salt with a quote, a separator and a non-ASCII character: it travels as a parameter (Spark) or a literal (DuckDB). */
const ODD_SALT = 'q\'|ü"x';

interface Row {
  pid: string;
  pseudonym: string;
  date: string;
  rid: string;
  pk: string;
  v: number | null;
}

/** Random Silver-like rows over August–September 2016, a key rotation on 08-16 giving everyone a second pseudonym. */
function randomRows(seed: string, users: number): Row[] {
  const rng = seededRandom(seed);
  const pick = (n: number): number => Number(rng.randomBelow(BigInt(n)));
  const rows: Row[] = [];
  for (let u = 0; u < users; u++) {
    const pid = `${PEOPLE[u % PEOPLE.length]}-${u}`;
    const sessions = 1 + pick(7);
    for (let s = 0; s < sessions; s++) {
      const date = `2016-0${8 + pick(2)}-${String(1 + pick(30)).padStart(2, '0')}`;
      rows.push({
        pid,
        pseudonym: date < '2016-08-16' ? pid : `v2:${pid}`,
        date,
        rid: `s${u}-${s}-${PEOPLE[s % PEOPLE.length]}`,
        pk: KEYS[pick(KEYS.length)]!,
        v: pick(8) === 0 ? null : pick(700_001) - 50_000,
      });
    }
  }
  return rows;
}

async function writeSilver(rows: readonly Row[], file: string): Promise<void> {
  const values = rows
    .map(
      (r) =>
        `(DATE '${r.date}', ${sqlString(r.rid)}, ${sqlString(r.pseudonym)}, ${sqlString(r.pid)}, ${sqlString(r.pk)}, ${r.v ?? 'NULL'})`,
    )
    .join(',\n');
  await temp.engine.run(`COPY (SELECT * REPLACE (nullif(user_link, user_pseudonym) AS user_link)
    FROM (VALUES ${values}) t(date, session_id, user_pseudonym, user_link, device_category, time_on_site_ms))
    TO ${sqlString(file)} (FORMAT parquet)`);
}

const WINDOWS = [
  { id: '2016-08', start: '2016-08-01', end: '2016-08-31' },
  { id: '2016-09', start: '2016-09-01', end: '2016-09-30' },
  // Overlaps both: staged through the range join, a row once per window holding it.
  { id: 'mid', start: '2016-08-20', end: '2016-09-10' },
];

interface RandomCase {
  readonly plan: AnalysisPlan;
  readonly missing: 'zero' | 'exclude';
  readonly windows: readonly StagedWindow[];
  /** Each window's own plan (bounds, clamp), by window index; default `plan`. */
  readonly windowPlans?: ReadonlyMap<number, AnalysisPlan>;
}

const planOfWindow = (c: RandomCase, w: StagedWindow): AnalysisPlan => c.windowPlans?.get(w.index) ?? c.plan;

/**
 * Random bounds of an analysis: L0, Linf, an optional total (unless `total` is false), and a random
 * upper clamp or 600,000.
 */
function randomBounds(pick: (n: number) => number, clamp: boolean, total = true): Partial<AnalysisConfig> {
  const l0 = 1 + pick(3);
  const linf = 1 + pick(3);
  return {
    max_partitions_contributed: l0,
    max_contributions_per_partition: linf,
    ...(total && pick(2) === 0 ? { max_contributions: 1 + pick(l0 * linf) } : {}),
    bounds: [-20_000, clamp ? [600_000, 300_000, 40_000][pick(3)]! : 600_000],
  };
}

/**
 * A random analysis (bounds, an optional total, public or private keys, windows and salts), with
 * case `k`'s statistics and missing-value rule taken in turn so that every kind is covered. With
 * `perWindow`, every window of the three is bounded with its own random bounds and clamp, as
 * automatic bounds chosen per window are, and only odd cases have totals (so that both bounding
 * paths, hash aggregates and window functions, are covered).
 */
function randomCase(seed: string, k: number, perWindow = false): RandomCase {
  const rng = seededRandom(seed);
  const pick = (n: number): number => Number(rng.randomBelow(BigInt(n)));
  const base = parseConfig(DEFAULT_CONFIG_INPUT).analyses[1]!;
  const statistics: StatisticName[] = [
    ['count'],
    ['mean'],
    ['mean', 'quantiles'],
    ['sum', 'variance', 'quantiles'],
  ][k % 4] as StatisticName[];
  const config: AnalysisConfig = {
    ...base,
    statistics,
    ...(statistics.includes('quantiles') ? { quantiles: [0.5, 0.9] } : {}),
    missing_value: k % 3 === 0 ? 'zero' : 'exclude',
    ...randomBounds(pick, false, !perWindow || k % 2 === 1),
    ...(pick(2) === 0
      ? {
          public_partitions: undefined,
          partition_selection: { delta: 1e-6, strategy: 'truncated_geometric' },
        }
      : { public_partitions: [...KEYS.slice(0, 2 + pick(KEYS.length - 2)), 'never-seen'] }),
  };
  const windows = WINDOWS.filter(() => perWindow || pick(3) > 0).map((w, index) => ({
    index: WINDOWS.indexOf(w),
    id: w.id,
    salt: index === 0 ? ODD_SALT : `salt-${seed}-${index}-ß`,
  }));
  return {
    plan: planAnalysis(config),
    missing: config.missing_value,
    windows: windows.length > 0 ? windows : [{ index: 0, id: '2016-08', salt: ODD_SALT }],
    ...(perWindow
      ? {
          windowPlans: new Map(
            windows.map((w) => [
              w.index,
              planAnalysis({ ...config, ...randomBounds(pick, true, k % 2 === 1) }),
            ]),
          ),
        }
      : {}),
  };
}

type Table = [string, string, bigint, bigint, bigint, bigint, [bigint, bigint][]][];

/** Aggregates as sorted lines, comparable across the three computations. */
function table(aggregates: WindowAggregates): Table {
  const lines: Table = [];
  for (const [w, byKey] of aggregates) {
    for (const [pk, a] of byKey) {
      lines.push([
        w,
        pk,
        a.count,
        a.users,
        a.normalizedSum,
        a.normalizedSumSquares,
        [...(a.histogram ?? new Map<bigint, bigint>())].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
      ]);
    }
  }
  return lines.sort(([w1, k1], [w2, k2]) => (w1 + '\u0000' + k1 < w2 + '\u0000' + k2 ? -1 : 1));
}

/** dp's reference bounder per window, aggregated in TypeScript. */
function reference(c: RandomCase, rows: readonly Row[]): WindowAggregates {
  const { missing } = c;
  const out: WindowAggregates = new Map();
  for (const w of c.windows) {
    const plan = planOfWindow(c, w);
    const keys = plan.partitions.kind === 'public' ? new Set(plan.partitions.keys) : undefined;
    const leaves = plan.quantileLeaves
      ? quantileMechanism({
          epsilon: 1,
          bounds: plan.bounds,
          lo: plan.value!.lo,
          hi: plan.value!.hi,
          quantiles: [0.5],
        })
      : undefined;
    if (leaves) expect(leaves.leaves).toBe(plan.quantileLeaves!.count);
    const window = WINDOWS[w.index]!;
    const input: Contribution<number>[] = rows
      .filter((r) => r.date >= window.start && r.date <= window.end)
      .filter((r) => keys === undefined || keys.has(r.pk))
      .filter((r) => plan.value === undefined || r.v !== null || missing === 'zero')
      .map((r) => ({ privacyId: r.pid, partitionKey: r.pk, rowId: r.rid, value: r.v ?? 0 }));
    const byKey = new Map<string, BoundedAggregate>();
    const users = new Map<string, Set<string>>();
    for (const k of boundContributions(input, plan.bounds, w.salt)) {
      const a = byKey.get(k.partitionKey) ?? {
        count: 0n,
        users: 0n,
        normalizedSum: 0n,
        normalizedSumSquares: 0n,
      };
      const x = plan.grid ? normalizedValue(plan.grid, k.value) : 0n;
      const seen = users.get(k.partitionKey) ?? new Set();
      seen.add(k.privacyId);
      users.set(k.partitionKey, seen);
      const histogram = leaves ? new Map(a.histogram ?? []) : undefined;
      if (histogram && leaves) {
        const leaf = BigInt(quantileLeaf(leaves, k.value));
        histogram.set(leaf, (histogram.get(leaf) ?? 0n) + 1n);
      }
      byKey.set(k.partitionKey, {
        count: a.count + 1n,
        users: BigInt(seen.size),
        normalizedSum: a.normalizedSum + x,
        normalizedSumSquares: a.normalizedSumSquares + x * x,
        ...(histogram ? { histogram } : {}),
      });
    }
    out.set(w.id, byKey);
  }
  return out;
}

/** The DuckDB text's result (its histogram a DuckDB list) as aggregates. */
function fromDuckdbRows(c: RandomCase, rows: Record<string, unknown>[]): WindowAggregates {
  const out: WindowAggregates = new Map(c.windows.map((w) => [w.id, new Map()]));
  for (const r of rows) {
    const entries = r.histogram === undefined ? undefined : histogramEntries(r.histogram);
    out.get(String(r.w))!.set(String(r.pk), {
      count: BigInt(r.count as bigint),
      users: BigInt(r.users as bigint),
      normalizedSum: BigInt(r.normalized_sum as bigint),
      normalizedSumSquares: BigInt(r.normalized_sum_squares as bigint),
      ...(entries ? { histogram: new Map(entries.map(({ x, n }) => [x, n])) } : {}),
    });
  }
  return out;
}

describe('both compiled bounding plans equal the reference bounder in dp/', () => {
  /** Both compiled texts' aggregates of case `c` over the rows, and the reference's. */
  async function boundThreeWays(
    c: RandomCase,
    rows: readonly Row[],
    file: string,
  ): Promise<{ duckdb: Table; spark: Table; expected: Table }> {
    await writeSilver(rows, file);
    const silver = await openSilverSource(temp.engine, [file], { linkVersion: 'v1' });
    const bp: BoundingPlan = boundingPlanOf(c.plan, c.windows, (w) => planOfWindow(c, w));
    const columns = stagedColumns([c.plan]);
    const duck = await temp.engine.all<Record<string, unknown>>(
      `WITH staged AS MATERIALIZED (${stagedRowsSql(columns, silver, WINDOWS)}),
        ${duckdbBoundedSql(bp, 'staged').slice('WITH '.length)}`,
    );
    const spark = sparkBoundedAggregateSql(bp, columns, { uris: [file], unit: silver.unit }, WINDOWS);
    const sparkAggregates: WindowAggregates = new Map(c.windows.map((w) => [w.id, new Map()]));
    mergeSparkRows(sparkAggregates, await duckdbAsSpark(temp.engine).query(spark.sql, spark.parameters));
    return {
      duckdb: table(fromDuckdbRows(c, duck)),
      spark: table(sparkAggregates),
      expected: table(reference(c, rows)),
    };
  }

  for (let k = 0; k < 12; k++) {
    it(`keeps the same rows and sums in DuckDB and Spark text as boundContributions (random plan ${k})`, async () => {
      const rows = randomRows(`spark-rows-${k}`, 160);
      const r = await boundThreeWays(
        randomCase(`spark-plan-${k}`, k),
        rows,
        join(temp.dir, `silver-spark-${k}.parquet`),
      );
      expect(r.duckdb).toEqual(r.expected);
      expect(r.spark).toEqual(r.expected);
      // Not trivially "keep everything": the bounds dropped rows, and something was kept.
      const kept = r.expected.reduce((s, line) => s + line[2], 0n);
      expect(kept).toBeGreaterThan(0n);
      expect(kept).toBeLessThan(BigInt(rows.length));
    });
  }

  for (let k = 0; k < 8; k++) {
    it(`bounds each window of one query with its own L0, Linf, total and clamp (random per-window bounds ${k})`, async () => {
      const c = randomCase(`spark-window-bounds-${k}`, k, true);
      const rows = randomRows(`spark-window-rows-${k}`, 160);
      const r = await boundThreeWays(c, rows, join(temp.dir, `silver-window-bounds-${k}.parquet`));
      expect(r.duckdb).toEqual(r.expected);
      expect(r.spark).toEqual(r.expected);
      // Some window bounded with another window's bounds gives other aggregates: a leak of one
      // window's bounds into another fails the comparison above.
      const leaks = c.windows.flatMap((w) =>
        c.windows
          .filter((o) => o.index !== w.index)
          .map((o) =>
            table(
              reference({ ...c, windows: [w], windowPlans: new Map([[w.index, planOfWindow(c, o)]]) }, rows),
            ),
          )
          .filter(
            (leaked) =>
              !isDeepStrictEqual(
                leaked,
                r.expected.filter(([id]) => id === w.id),
              ),
          ),
      );
      expect(leaks.length).toBeGreaterThan(0);
    });
  }

  it('gives the same aggregates on both paths from the same random source (several analyses, two files)', async () => {
    const rows = randomRows('spark-paths', 200);
    const files = [join(temp.dir, 'silver-paths-a.parquet'), join(temp.dir, 'silver-paths-b.parquet')];
    await writeSilver(
      rows.filter((r) => r.date < '2016-09-01'),
      files[0]!,
    );
    await writeSilver(
      rows.filter((r) => r.date >= '2016-09-01'),
      files[1]!,
    );
    const silver = await openSilverSource(temp.engine, files, { linkVersion: 'v1' });
    const jobs = [0, 1, 2].map((k) => ({
      plan: randomCase(`spark-paths-${k}`, k).plan,
      windows: WINDOWS.slice(k % 2),
    }));
    const viaDuckdb = await boundedAggregatesOfAll(temp.engine, jobs, silver, seededRandom('paths'), {
      rowsPerBucket: 150,
    });
    const spark = duckdbAsSpark(temp.engine);
    const viaSpark = await sparkBoundedAggregatesOfAll(
      spark,
      jobs,
      { uris: files, unit: silver.unit },
      seededRandom('paths'),
    );
    expect(spark.statements).toHaveLength(jobs.length);
    expect(viaSpark.map(table)).toEqual(viaDuckdb.map(table));
    expect(viaSpark.flatMap(table).length).toBeGreaterThan(0);
  });
});

describe('the Spark-to-DuckDB test rewrite', () => {
  it('turns :name markers into $name and parquet paths into read_parquet, never inside quotes', () => {
    expect(
      sparkToDuckdb(
        "SELECT :salt_0 AS s, ':not_a_param' AS t, `col:x` FROM parquet.`abfss://silver@a.dfs.core.windows.net/d=1/p``q'r.parquet`",
      ),
    ).toBe(
      "SELECT $salt_0 AS s, ':not_a_param' AS t, `col:x` FROM read_parquet('abfss://silver@a.dfs.core.windows.net/d=1/p`q''r.parquet')",
    );
  });

  it('leaves text without markers or paths unchanged', () => {
    const sql = "SELECT md5('a' || '|' || 'b') AS h FROM t ORDER BY h NULLS FIRST";
    expect(sparkToDuckdb(sql)).toBe(sql);
  });
});
