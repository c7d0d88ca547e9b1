import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActiveUsers, type ActiveUsersDeps } from '../../src/active-users/index.js';
import {
  loadConfig,
  parseConfig,
  DEFAULT_CONFIG_INPUT,
  type PipelineConfig,
} from '../../src/config/index.js';
import { rhoForEpsilonDelta, rhoToEpsilon, seededRandom } from '../../src/dp/index.js';
import { BudgetExhaustedError, UserError } from '../../src/errors.js';
import { FsLake } from '../../src/storage/index.js';
import { modelCounts, syntheticActivity } from '../helpers/activity.js';
import { tempLake } from '../helpers/lake.js';

const NOW = new Date('2016-10-15T12:00:00Z');

async function listAll(lake: FsLake): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of lake.objects('gold').list('')) keys.push(o.key);
  return keys.sort();
}

describe('DAU / MAU releases', () => {
  let lake: FsLake;
  let dir: string;
  let cleanup: () => Promise<void>;
  let config: PipelineConfig;
  const activity = syntheticActivity(300);
  const counts = modelCounts(activity);
  let seed = 0;
  const users = (over: Partial<ActiveUsersDeps> = {}): ActiveUsers =>
    new ActiveUsers({
      lake,
      config,
      clock: () => NOW,
      counts: () => Promise.resolve(counts),
      rng: () => seededRandom(`active-users-${seed++}`),
      charts: false,
      ...over,
    });

  beforeEach(async () => {
    ({ lake, dir, cleanup } = await tempLake());
    config = await loadConfig();
  });
  afterEach(() => cleanup());

  it('releases a day once, charges ε_DAU, and re-serves it without spending or recounting', async () => {
    const u = users();
    const first = await u.dau('2016-08-03');
    expect(first.reused).toBe(false);
    expect(first.epsilonCharged).toBeCloseTo(0.3, 12);
    expect(first.budget).toMatchObject({
      metric: 'dau',
      period: '2016-08',
      epsilonSpent: 0.3,
      releaseCount: 1,
      total: { metric: 'total', epsilonSpent: 0.3, epsilonCap: 8, releaseCount: 1 },
    });
    const r = first.release;
    expect(r).toMatchObject({
      analysis: 'dau',
      partition_by: 'day',
      window: { start: '2016-08-03', end: '2016-08-03' },
    });
    expect(r.privacy).toMatchObject({ epsilon: 0.3, delta: 0, mechanism: 'discrete_laplace' });
    const exact = await counts.dau('2016-08-03');
    const [p] = r.partitions;
    expect(p!.key).toBe('2016-08-03');
    expect(p!.ci95[0]).toBeLessThanOrEqual(p!.value);
    // seeded: the noise is fixed; |noise| is within the 95% half-width (≈ 9) here
    expect(Math.abs(p!.value - exact)).toBeLessThanOrEqual(p!.value - p!.ci95[0]);

    const callsBefore = counts.calls;
    const again = await users().dau('2016-08-03'); // a new instance: state comes from the lake
    expect(again.reused).toBe(true);
    expect(again.epsilonCharged).toBe(0);
    expect(again.release).toEqual(r);
    expect(again.budget.epsilonSpent).toBe(0.3);
    expect(counts.calls).toBe(callsBefore);
    expect(await listAll(lake)).toEqual(['index.json', 'releases/dau/2016-08-03.json']);
  });

  it('refuses a release over the monthly cap, writes nothing, and the state survives a restart', async () => {
    config = parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      active_users: { ...DEFAULT_CONFIG_INPUT.active_users, dau: { epsilon: 0.3, monthly_epsilon_cap: 0.7 } },
    });
    await users().dau('2016-08-01');
    await users().dau('2016-08-02');
    const before = await listAll(lake);
    const err = await users()
      .dau('2016-08-05')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExhaustedError);
    expect((err as BudgetExhaustedError).details).toMatchObject({ period: '2016-08', epsilonCap: 0.7 });
    expect(await listAll(lake)).toEqual(before);
    // a restarted service (fresh lake object on the same directory) sees the same spend
    const restarted = new ActiveUsers({
      lake: new FsLake(dir),
      config,
      clock: () => NOW,
      counts: () => Promise.resolve(counts),
      charts: false,
    });
    const state = await restarted.budgetState('dau', '2016-08');
    expect(state).toMatchObject({ epsilonSpent: 0.6, releaseCount: 2 });
    expect(state.epsilonRemaining).toBeCloseTo(0.1, 12);
    await expect(restarted.dau('2016-08-06')).rejects.toBeInstanceOf(BudgetExhaustedError);
    // another month has its own budget; re-serving a released day still works
    expect((await restarted.dau('2016-09-01')).budget.period).toBe('2016-09');
    expect((await restarted.dau('2016-08-01')).reused).toBe(true);
  });

  it('composes MAU releases in zCDP: the month spends ε(Σρ, δ), well under Σε', async () => {
    const u = users();
    const a = await u.mau('2016-08-31');
    const b = await u.mau('2016-08-30', 7);
    expect(a.release.privacy).toMatchObject({ mechanism: 'discrete_gaussian', delta: 1e-6, window_days: 30 });
    expect(a.release.window).toEqual({ start: '2016-08-02', end: '2016-08-31' });
    expect(b.release.window).toEqual({ start: '2016-08-24', end: '2016-08-30' });
    const rho = rhoForEpsilonDelta(0.5, 1e-6);
    expect(a.epsilonCharged).toBeCloseTo(0.5, 6);
    expect(b.budget.epsilonSpent).toBeCloseTo(rhoToEpsilon(2 * rho, 1e-6), 6);
    expect(b.budget.epsilonSpent).toBeLessThan(0.75);
    // how many fit under the 3.5 cap: far more than 3.5 / 0.5 = 7
    let n = 2;
    for (let d = 1; d <= 29; d++) {
      try {
        await u.mau(`2016-08-${String(d).padStart(2, '0')}`);
        n++;
      } catch (e) {
        expect(e).toBeInstanceOf(BudgetExhaustedError);
        break;
      }
    }
    expect(n).toBeGreaterThan(20);
    const state = await u.budgetState('mau', '2016-08');
    expect(state.epsilonSpent).toBeLessThanOrEqual(3.5 + 1e-9);
    expect(state.epsilonSpent).toBeCloseTo(rhoToEpsilon(n * rho, 1e-6), 4);
  });

  it('charges a window to every month it covers, and refuses it when any of them is exhausted', async () => {
    const u = users();
    const a = await u.mau('2016-09-05'); // 2016-08-07 .. 2016-09-05
    expect(a.budget.period).toBe('2016-09');
    const aug = await u.budgetState('mau', '2016-08');
    const sep = await u.budgetState('mau', '2016-09');
    expect(aug.releaseCount).toBe(1);
    expect(sep.releaseCount).toBe(1);
    expect(aug.epsilonSpent).toBeCloseTo(0.5, 6);
    expect(a.epsilonCharged).toBeCloseTo(1, 6); // 0.5 in each month's ledger
    config = parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      active_users: {
        ...DEFAULT_CONFIG_INPUT.active_users,
        mau: { epsilon: 0.5, delta: 1e-6, window_days: 30, monthly_epsilon_cap: 0.6 },
      },
    });
    const tight = users();
    const err = await tight.mau('2016-09-06').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExhaustedError);
    expect((err as BudgetExhaustedError).details.period).toBe('2016-08');
    // nothing was charged to September either
    expect((await tight.budgetState('mau', '2016-09')).releaseCount).toBe(1);
    // a window inside a fresh month still fits
    expect((await tight.mau('2016-10-07', 7)).reused).toBe(false);
  });

  it('answers bad and open days with a one-line user error', async () => {
    const u = users();
    await expect(u.dau('2016-13-01')).rejects.toThrow(UserError);
    await expect(u.dau('2016-02-30')).rejects.toThrow(/YYYY-MM-DD, got '2016-02-30'/);
    await expect(u.dau('2016-10-14')).rejects.toThrow(/not closed yet/);
    await expect(u.mau('2016-08-31', 0)).rejects.toThrow(/window/);
  });

  it('releases a month as one continual series with a line chart, listed in gold/index.json', async () => {
    const u = users({ charts: true });
    const { release, budget } = await u.series('dau', '2016-08');
    expect(release.analysis).toBe('dau_series');
    expect(release.partitions.map((p) => p.key)).toHaveLength(31);
    expect(release.privacy.continual).toMatchObject({
      method: 'flippancy_bounded_tree',
      max_flippancy: 8,
      steps: 31,
    });
    expect(budget.epsilonSpent).toBe(1);
    expect(JSON.stringify(release)).not.toMatch(/user-|truncated/);
    const keys = await listAll(lake);
    expect(keys).toEqual(
      expect.arrayContaining(['releases/dau_series/2016-08.json', 'releases/dau_series/2016-08.svg']),
    );
    const svg = (await lake.objects('gold').read('releases/dau_series/2016-08.svg')).toString();
    expect(svg).toContain('Daily active users');
    const index = JSON.parse((await lake.objects('gold').read('index.json')).toString()) as {
      releases: { analysis: string }[];
    };
    expect(index.releases.map((r) => r.analysis)).toContain('dau_series');

    const mau = await u.series('mau', '2016-08');
    expect(mau.release.privacy).toMatchObject({ mechanism: 'discrete_gaussian', window_days: 30 });
    expect(mau.budget.metric).toBe('mau');
  });

  it('rejects an odd flippancy bound (a truncated user would be counted on every later day)', () => {
    const series = { epsilon: 1, dau_max_flippancy: 3, mau_max_flippancy: 4 };
    expect(() =>
      parseConfig(
        { ...DEFAULT_CONFIG_INPUT, active_users: { ...DEFAULT_CONFIG_INPUT.active_users, series } },
        'c.json',
      ),
    ).toThrow(/^c\.json: active_users\.series\.dau_max_flippancy: must be even/);
  });

  it('tracks the exact series when the flippancy bound covers every user', async () => {
    config = parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      active_users: {
        ...DEFAULT_CONFIG_INPUT.active_users,
        series: { epsilon: 2, dau_max_flippancy: 24, mau_max_flippancy: 2 },
        dau: { epsilon: 0.3, monthly_epsilon_cap: 5 },
      },
    });
    const { release } = await users().series('dau', '2016-08');
    let covered = 0;
    for (const p of release.partitions) {
      const exact = await counts.dau(p.key);
      if (exact >= p.ci95[0] && exact <= p.ci95[1]) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(29); // ≥ 95% of 31 days (seeded)
  });
});
