import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  chooseBounds,
  CONTRIBUTION_BUCKETS,
  computeReleases,
  boundWithSelection,
  planAll,
  type ContributionProfile,
} from '../../src/analyses/index.js';
import type { SelectionModel } from '../../src/analyses/bound-selection.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { decodeRelease } from '../../src/gold/schema.js';
import { useTempEngine } from '../helpers/lake.js';
import { unrotatedSilver } from '../helpers/silver.js';

const temp = useTempEngine();
const B = CONTRIBUTION_BUCKETS.length + 1;

/** An exact-looking (noise-free) profile: tiny scales, so every filled bucket counts. */
function profile(
  rows: Record<number, number>,
  values?: Record<number, number>,
): ContributionProfile<number> & { scales: ContributionProfile<number> } {
  const hist = (n: number, at: Record<number, number>): number[] =>
    Array.from({ length: n }, (_, i) => at[i] ?? 0);
  return {
    partitions: hist(B, { 0: 10_000 }),
    rows: hist(B, rows),
    ...(values ? { values: hist(41, values) } : {}),
    scales: { partitions: [1e-6], rows: [1e-6], ...(values ? { values: [1e-6] } : {}) },
  };
}

const countModel = (countNoise1: number): SelectionModel => ({
  partitions: 6,
  noise: 'laplace',
  countNoise1,
  distinctUsers: false,
  auto: { l0: true, linf: true, clamp: false },
  fixed: { l0: 1, linf: 1 },
});

describe('automatic bounds: minimise predicted bias + noise', () => {
  it('keeps Linf = 1 when every visitor has one session per partition', () => {
    const { chosen, clippedShare } = chooseBounds(profile({ 0: 10_000 }), countModel(1));
    expect(chosen).toEqual({ l0: 1, linf: 1 });
    expect(clippedShare).toBe(0);
  });

  it('raises Linf to cover heavy visitors when their rows outweigh the extra noise', () => {
    // 1,000 visitors with 3 sessions (bucket 3), 500 with 5–6 (bucket (4, 6]).
    const { chosen, clippedShare } = chooseBounds(profile({ 0: 10_000, 2: 1000, 4: 500 }), countModel(1));
    expect(chosen.linf).toBe(6);
    expect(clippedShare).toBe(0);
  });

  it('stops where the rows a larger Linf keeps no longer pay for its noise', () => {
    // Noise of 10 rows per unit of Linf in each of 6 partitions: 50 users beyond 3 rows do not pay.
    const { chosen, clippedShare } = chooseBounds(profile({ 0: 10_000, 2: 1000, 4: 50 }), countModel(10));
    expect(chosen.linf).toBe(3);
    expect(clippedShare).toBeGreaterThan(0);
  });

  it('keeps fixed bounds fixed', () => {
    const model = {
      ...countModel(1),
      auto: { l0: false, linf: false, clamp: false },
      fixed: { l0: 2, linf: 3 },
    };
    expect(chooseBounds(profile({ 0: 10_000, 4: 500 }), model).chosen).toEqual({ l0: 2, linf: 3 });
  });

  it('clamps values above the filled tail of the value histogram when noise is cheap', () => {
    const model: SelectionModel = {
      ...countModel(1e-3),
      sumNoise1: 1e-6,
      lo: 0,
      auto: { l0: false, linf: false, clamp: true },
      fixed: { l0: 1, linf: 1, hi: 1023 },
    };
    // Values up to bucket 12 ([4095, 8191)), none above.
    const values = { 0: 3000, 10: 2000, 11: 1000, 12: 300 };
    const { chosen, clampedShare } = chooseBounds(profile({ 0: 10_000 }, values), model);
    expect(chosen.hi).toBe(2 ** 13 - 1);
    expect(clampedShare).toBe(0);
  });
});

describe('a release with automatic bounds', () => {
  it('states the chosen bounds and the ε spent choosing them, and costs the configured ε', async () => {
    // 300 visitors: each has 4 sessions on desktop (a month), durations 1–5 minutes, bounces null.
    const rows: string[] = [];
    for (let u = 0; u < 300; u++) {
      for (let s = 0; s < 4; s++) {
        const v = s === 0 ? 'NULL' : String(60_000 * (1 + ((u + s) % 5)));
        rows.push(`('u${u}', 's${u}-${s}', 'desktop', ${v})`);
      }
    }
    const file = join(temp.dir, 'auto.parquet');
    await temp.engine.run(`COPY (SELECT DATE '2016-08-15' AS date, * FROM (VALUES ${rows.join(', ')})
      t(user_pseudonym, session_id, device_category, time_on_site_ms)) TO ${sqlString(file)} (FORMAT parquet)`);
    const config = parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      analyses: [{ ...DEFAULT_CONFIG_INPUT.analyses[1], epsilon: 10 }],
    });
    const [plan] = planAll(config);
    expect(plan!.cost.reduce((acc, c) => acc + c.epsilon, 0)).toBeCloseTo(10, 12);
    const window = { id: '2016-08', start: '2016-08-01', end: '2016-08-31' };
    const releases = await computeReleases(
      temp.engine,
      plan!,
      await unrotatedSilver(temp.engine, [file]),
      [window],
      seededRandom('auto-bounds'),
      { runId: 'r', createdAt: '2026-12-06T00:00:00.000Z' },
    );
    const release = releases.get('2016-08')!;
    // It decodes as a Gold release and states its selection as public parameters.
    const decoded = decodeRelease(JSON.stringify(release), 'test');
    const sel = decoded.privacy.bounds_selection!;
    expect(decoded.privacy.epsilon).toBe(10);
    expect(sel.epsilon).toBeCloseTo(1, 12);
    expect(sel.chosen).toEqual({
      max_partitions_contributed: decoded.privacy.max_partitions_contributed,
      max_contributions_per_partition: decoded.privacy.max_contributions_per_partition,
      bounds: decoded.privacy.bounds,
    });
    // Four sessions a visitor, well measured at ε = 1: all kept; durations up to 5 min unclamped.
    expect(sel.chosen.max_contributions_per_partition).toBe(4);
    expect(decoded.privacy.bounds![1]).toBeGreaterThanOrEqual(300_000);
    expect(decoded.guarantee).toMatch(/chosen privately from this window's data, spending ε = 1 of that ε/);
    // Bounces count as 0 s: the mean of (0, and 3 of 1–5 min) is near 2.25 min, not 3.
    const desktop = decoded.partitions.find((p) => p.key === 'desktop')!;
    expect(desktop.value).toBeGreaterThan(120_000);
    expect(desktop.value).toBeLessThan(150_000);
  });

  /** August: 300 visitors with 4 desktop sessions each; September: 3,000 visitors with one each. */
  async function twoMonths(name: string): Promise<string> {
    const rows: string[] = [];
    for (let u = 0; u < 300; u++) {
      for (let s = 0; s < 4; s++) rows.push(`(DATE '2016-08-15', 'a${u}', 'a${u}-${s}', 'desktop', 60000)`);
    }
    for (let u = 0; u < 3000; u++) rows.push(`(DATE '2016-09-15', 'b${u}', 'b${u}-0', 'desktop', 60000)`);
    const file = join(temp.dir, name);
    await temp.engine.run(`COPY (SELECT * FROM (VALUES ${rows.join(', ')})
      t(date, user_pseudonym, session_id, device_category, time_on_site_ms)) TO ${sqlString(file)} (FORMAT parquet)`);
    return file;
  }
  const twoMonthWindows = [
    { id: '2016-08', start: '2016-08-01', end: '2016-08-31' },
    { id: '2016-09', start: '2016-09-01', end: '2016-09-30' },
  ];

  it('bounds every window of an analysis in one job, each with its own chosen bounds, stated in its release', async () => {
    const file = await twoMonths('auto-two-months.parquet');
    const [plan] = planAll(
      parseConfig({
        ...DEFAULT_CONFIG_INPUT,
        analyses: [{ ...DEFAULT_CONFIG_INPUT.analyses[1], epsilon: 10 }],
      }),
    );
    const windows = twoMonthWindows;
    const silver = await unrotatedSilver(temp.engine, [file]);
    const { jobs, aggregates } = await boundWithSelection(
      temp.engine,
      [{ plan: plan!, windows }],
      silver,
      seededRandom('auto-two-months'),
    );
    // One job (one bounding query per bucket) for both months, each with its own finalized plan.
    expect(jobs).toHaveLength(1);
    const linf = (id: string): number => jobs[0]!.windowPlans!.get(id)!.bounds.maxContributionsPerPartition;
    expect([linf('2016-08'), linf('2016-09')]).toEqual([4, 1]);
    // August keeps all 4 sessions of each visitor under its own Linf, not September's 1.
    expect(aggregates[0]!.get('2016-08')!.get('desktop')!.count).toBe(1200n);
    expect(aggregates[0]!.get('2016-09')!.get('desktop')!.count).toBe(3000n);

    const releases = await computeReleases(
      temp.engine,
      plan!,
      silver,
      windows,
      seededRandom('auto-two-months'),
      { runId: 'r', createdAt: '2026-12-06T00:00:00.000Z' },
    );
    for (const [id, want] of [
      ['2016-08', 4],
      ['2016-09', 1],
    ] as const) {
      const decoded = decodeRelease(JSON.stringify(releases.get(id)), 'test');
      expect(decoded.privacy.max_contributions_per_partition).toBe(want);
      expect(decoded.privacy.bounds_selection!.chosen.max_contributions_per_partition).toBe(want);
    }
  });

  it('runs one bounding query per analysis and user bucket, and loads a lone bucket once for both passes', async () => {
    const silver = await unrotatedSilver(temp.engine, [await twoMonths('auto-queries.parquet')]);
    const plans = planAll(
      parseConfig({
        ...DEFAULT_CONFIG_INPUT,
        analyses: [
          DEFAULT_CONFIG_INPUT.analyses[1],
          {
            ...DEFAULT_CONFIG_INPUT.analyses[0],
            name: 'sessions_per_device',
            partition_by: 'device_category',
            public_partitions: ['desktop', 'mobile', 'tablet'],
          },
        ],
      }),
    );
    const work = plans.map((plan) => ({ plan, windows: twoMonthWindows }));
    const statements = async (rowsPerBucket?: number) => {
      const run = vi.spyOn(temp.engine, 'run');
      const all = vi.spyOn(temp.engine, 'all');
      try {
        const { jobs, aggregates } = await boundWithSelection(
          temp.engine,
          work,
          silver,
          seededRandom('auto-queries'),
          rowsPerBucket !== undefined ? { rowsPerBucket } : {},
        );
        const sql = [...run.mock.calls, ...all.mock.calls].map(([text]) => text);
        return {
          jobs: jobs.length,
          loads: sql.filter((t) => t.includes('CREATE OR REPLACE TEMP TABLE')).length,
          bounding: sql.filter((t) => t.includes('normalized_sum')).length,
          aggregates,
        };
      } finally {
        run.mockRestore();
        all.mockRestore();
      }
    };
    // 4,200 rows in one bucket: read once, then 2 profile and 2 bounding queries over it.
    const one = await statements();
    expect(one).toMatchObject({ jobs: 2, loads: 1, bounding: 2 });
    // Four buckets: each pass reads each bucket, the second starting with the one still loaded.
    const four = await statements(1100);
    expect(four).toMatchObject({ jobs: 2, loads: 7, bounding: 8 });
    // The same rows are kept whatever the buckets and their order.
    expect(four.aggregates).toEqual(one.aggregates);
  });
});
