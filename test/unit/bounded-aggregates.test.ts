import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { planAll, type AnalysisPlan, type BoundedAggregate } from '../../src/analyses/index.js';
import { boundedAggregatesOfAll, type Window } from '../../src/analyses/release.js';
import { monthWindow } from '../../src/analyses/windows.js';
import { parseConfig, DEFAULT_CONFIG_INPUT } from '../../src/config/index.js';
import {
  boundContributions,
  newSamplingSalt,
  normalizedValue,
  quantileLeaf,
  seededRandom,
  type Contribution,
  type QuantileMechanism,
} from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { useTempEngine } from '../helpers/lake.js';
import { unrotatedSilver } from '../helpers/silver.js';

const temp = useTempEngine();

interface Row {
  date: string;
  pid: string;
  rid: string;
  device: string;
  continent: string | null;
  v: number | null;
}

/** Users with 1–6 sessions on random days of Aug–Oct 2016, some keys and values outside the plans. */
function randomRows(seed: string, users: number): Row[] {
  const rng = seededRandom(seed);
  const pick = (n: number): number => Number(rng.randomBelow(BigInt(n)));
  const devices = ['desktop', 'mobile', 'tablet', 'tv'];
  const continents = ['Europe', 'Asia', 'Americas', null];
  const rows: Row[] = [];
  for (let u = 0; u < users; u++) {
    const sessions = 1 + pick(6);
    for (let s = 0; s < sessions; s++) {
      // One month for most of a user's sessions, so users have several rows in a window.
      const month = s === 0 || pick(4) === 0 ? 8 + pick(3) : 8 + (u % 3);
      rows.push({
        date: `2016-${String(month).padStart(2, '0')}-${String(1 + pick(28)).padStart(2, '0')}`,
        pid: `u${u}`,
        rid: `s${u}-${s}`,
        device: devices[pick(4)]!,
        continent: continents[pick(4)]!,
        v: pick(10) === 0 ? null : pick(700_001),
      });
    }
  }
  return rows;
}

/** Four analyses covering both bounding paths, public and private keys, values and quantiles. */
function testPlans(): AnalysisPlan[] {
  return planAll(parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: testAnalyses() }));
}

/** The config of {@link testPlans}, analysis by analysis. */
function testAnalyses(): Record<string, unknown>[] {
  const base = { description: 'Test', epsilon: 1, window: 'month' } as const;
  return [
    {
      ...base,
      name: 'count_l1',
      statistics: ['count'],
      partition_by: 'device_category',
      public_partitions: ['desktop', 'mobile', 'tablet'],
    },
    {
      ...base,
      name: 'quantiles_l2',
      statistics: ['mean', 'quantiles'],
      quantiles: [0.5, 0.9],
      partition_by: 'device_category',
      public_partitions: ['desktop', 'mobile', 'tablet'],
      value: 'time_on_site_ms',
      bounds: [0, 600000],
      unit: 'ms',
      max_partitions_contributed: 2,
      max_contributions_per_partition: 2,
    },
    {
      ...base,
      name: 'private_count',
      statistics: ['count'],
      partition_by: 'continent',
      partition_selection: { delta: 1e-6 },
      max_contributions_per_partition: 3,
    },
    {
      ...base,
      name: 'mean_total',
      statistics: ['mean'],
      partition_by: 'device_category',
      public_partitions: ['desktop', 'mobile', 'tablet'],
      value: 'time_on_site_ms',
      bounds: [0, 600000],
      unit: 'ms',
      max_partitions_contributed: 2,
      max_contributions_per_partition: 3,
      max_contributions: 2,
    },
  ];
}

/** Analysis `i` of {@link testPlans} with other bounds (and clamp, for a value analysis). */
function planWithBounds(
  i: number,
  bounds: { l0: number; linf: number; total?: number; hi: number },
): AnalysisPlan {
  const a = testAnalyses()[i]!;
  const [plan] = planAll(
    parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      analyses: [
        {
          ...a,
          max_partitions_contributed: bounds.l0,
          max_contributions_per_partition: bounds.linf,
          max_contributions: bounds.total,
          ...(a.value !== undefined ? { bounds: [0, bounds.hi] } : {}),
        },
      ],
    }),
  );
  return plan!;
}

/** What `boundedAggregates` must return for one plan and window, from dp's reference bounder. */
function expected(
  p: AnalysisPlan,
  rows: readonly Row[],
  window: Window,
  salt: string,
): Map<string, BoundedAggregate> {
  const input: Contribution<number | null>[] = rows
    .filter((r) => r.date >= window.start && r.date <= window.end)
    .map((r) => ({
      privacyId: r.pid,
      partitionKey: (p.partitionBy === 'continent' ? r.continent : r.device) as string,
      rowId: r.rid,
      value: r.v,
    }))
    .filter((c) => c.partitionKey !== null)
    .filter((c) => p.partitions.kind === 'private' || p.partitions.keys.includes(c.partitionKey))
    // The estimand: a missing value is 0 (missing_value "zero") or the row is left out ("exclude").
    .filter((c) => p.value === undefined || p.value.missing === 'zero' || c.value !== null)
    .map((c) => (p.value === undefined ? c : { ...c, value: c.value ?? 0 }));
  const leaves = p.quantileLeaves;
  const tree = leaves && ({ lo: leaves.lo, hi: leaves.hi, leaves: leaves.count } as QuantileMechanism);
  const out = new Map<string, BoundedAggregate & { ids: Set<string> }>();
  for (const c of boundContributions(input, p.bounds, salt)) {
    const prev = out.get(c.partitionKey) ?? {
      count: 0n,
      users: 0n,
      normalizedSum: 0n,
      normalizedSumSquares: 0n,
      ids: new Set<string>(),
      ...(tree ? { histogram: new Map<bigint, bigint>() } : {}),
    };
    const x = p.grid ? normalizedValue(p.grid, c.value!) : 0n;
    prev.ids.add(c.privacyId);
    const histogram = prev.histogram as Map<bigint, bigint> | undefined;
    if (histogram && tree) {
      const leaf = BigInt(quantileLeaf(tree, c.value!));
      histogram.set(leaf, (histogram.get(leaf) ?? 0n) + 1n);
    }
    out.set(c.partitionKey, {
      ...prev,
      count: prev.count + 1n,
      users: BigInt(prev.ids.size),
      normalizedSum: prev.normalizedSum + x,
      normalizedSumSquares: prev.normalizedSumSquares + x * x,
    });
  }
  return new Map(
    [...out].map(([k, { ids: _ids, histogram, ...agg }]) => [
      k,
      histogram ? { ...agg, histogram: new Map([...histogram].sort(([a], [b]) => Number(a - b))) } : agg,
    ]),
  );
}

function sorted(byKey: ReadonlyMap<string, BoundedAggregate>): [string, BoundedAggregate][] {
  return [...byKey]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, agg]) => [
      k,
      agg.histogram
        ? { ...agg, histogram: new Map([...agg.histogram].sort(([a], [b]) => Number(a - b))) }
        : agg,
    ]);
}

describe('bounded aggregates of several analyses from one shared read', () => {
  const plans = testPlans();

  for (const [name, windowsOf, rowsPerBucket] of [
    // Aug and Oct only: September's rows lie between the windows and must be left out.
    [
      'disjoint windows with a gap, one bucket',
      (i: number) => (i === 1 ? ['2016-10'] : ['2016-08', '2016-10']),
      undefined,
    ],
    ['every month, users split into buckets', () => ['2016-08', '2016-09', '2016-10'], 150],
  ] as const) {
    it(`equals dp's reference bounder per analysis and window (${name})`, async () => {
      const rows = randomRows(`bounded-aggregates-${name}`, 200);
      const file = join(temp.dir, `silver-${rowsPerBucket ?? 'all'}.parquet`);
      await writeSilver(rows, file);
      const jobs = plans.map((p, i) => ({ plan: p, windows: windowsOf(i).map(monthWindow) }));
      const silver = await unrotatedSilver(temp.engine, [file]);
      const got = await boundedAggregatesOfAll(temp.engine, jobs, silver, seededRandom(name), {
        ...(rowsPerBucket ? { rowsPerBucket } : {}),
      });
      const salts = seededRandom(name);
      jobs.forEach((job, i) => {
        for (const w of job.windows) {
          const want = expected(job.plan, rows, w, newSamplingSalt(salts));
          expect(sorted(got[i]!.get(w.id)!), `${job.plan.name} ${w.id}`).toEqual(sorted(want));
          expect(want.size).toBeGreaterThan(0);
        }
      });
    });
  }

  it('bounds each window of a job with its own plan in one query per bucket (bounds chosen per window)', async () => {
    const rows = randomRows('bounded-aggregates-window-plans', 200);
    const file = join(temp.dir, 'silver-window-plans.parquet');
    await writeSilver(rows, file);
    const months = ['2016-08', '2016-09', '2016-10'].map(monthWindow);
    const choices = [
      { l0: 1, linf: 1, hi: 600_000 },
      { l0: 3, linf: 4, hi: 90_000 },
      { l0: 2, linf: 3, total: 3, hi: 20_000 },
    ];
    // Each analysis's months get different bounds, so a window bounded with another's differs.
    const jobs = plans.map((plan, i) => ({
      plan,
      windows: months,
      windowPlans: new Map(months.map((w, k) => [w.id, planWithBounds(i, choices[(i + k) % 3]!)])),
    }));
    const got = await boundedAggregatesOfAll(
      temp.engine,
      jobs,
      await unrotatedSilver(temp.engine, [file]),
      seededRandom('window-plans'),
      { rowsPerBucket: 150 },
    );
    const salts = seededRandom('window-plans');
    let differs = 0;
    jobs.forEach((job, i) => {
      for (const [k, w] of job.windows.entries()) {
        const salt = newSamplingSalt(salts);
        const want = expected(job.windowPlans.get(w.id)!, rows, w, salt);
        expect(sorted(got[i]!.get(w.id)!), `${job.plan.name} ${w.id}`).toEqual(sorted(want));
        const other = job.windowPlans.get(job.windows[(k + 1) % 3]!.id)!;
        if (!isDeepStrictEqual(sorted(expected(other, rows, w, salt)), sorted(want))) differs++;
      }
    });
    // With another window's bounds most windows would come out otherwise: the test sees a leak.
    expect(differs).toBeGreaterThan(8);
  });

  it('bounds overlapping windows each on all of its rows', async () => {
    const rows = randomRows('bounded-aggregates-overlap', 200);
    const file = join(temp.dir, 'silver-overlap.parquet');
    await writeSilver(rows, file);
    const windows: Window[] = [monthWindow('2016-08'), { id: 'mid', start: '2016-08-15', end: '2016-09-14' }];
    const got = await boundedAggregatesOfAll(
      temp.engine,
      [{ plan: plans[1]!, windows }],
      await unrotatedSilver(temp.engine, [file]),
      seededRandom('overlap'),
    );
    const salts = seededRandom('overlap');
    for (const w of windows) {
      expect(sorted(got[0]!.get(w.id)!)).toEqual(
        sorted(expected(plans[1]!, rows, w, newSamplingSalt(salts))),
      );
    }
  });
});

async function writeSilver(rows: Row[], file: string): Promise<void> {
  const values = rows
    .map(
      (r) =>
        `(DATE '${r.date}', ${sqlString(r.rid)}, ${sqlString(r.pid)}, ${sqlString(r.device)}, ${r.continent === null ? 'NULL' : sqlString(r.continent)}, ${r.v ?? 'NULL'})`,
    )
    .join(',\n');
  await temp.engine
    .run(`COPY (SELECT * FROM (VALUES ${values}) t(date, session_id, user_pseudonym, device_category, continent, time_on_site_ms))
    TO ${sqlString(file)} (FORMAT parquet)`);
}
