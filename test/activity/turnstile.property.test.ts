import { beforeAll, describe, expect, it } from 'vitest';
import { openActivity, type ActivityLedger } from '../../src/activity/index.js';
import { loadConfig, type PipelineConfig } from '../../src/config/index.js';
import { flushDeletes, requestErasure } from '../../src/erasure/index.js';
import { Xoshiro128 } from '../../src/generate/prng.js';
import { ingestEvents } from '../../src/pipeline/events.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { rotateKey } from '../../src/silver/key-ring.js';
import { tempLake } from '../helpers/lake.js';
import { silverRows } from '../helpers/silver.js';

/**
 * Random turnstile sequences — activity events (+1), erasures (−1, all days, retroactively and
 * for late data) and key rotations — driven through the real pipeline, checked after every step
 * against a brute-force model of who was active when. Fixed seeds; the expected values are exact,
 * so the false-failure rate is 0.
 */

const DAYS = 24;
const day = (i: number): string => new Date(Date.UTC(2016, 7, 1 + i)).toISOString().slice(0, 10);
// Before any test day: no window is closed, so runs release nothing (this test is about counts).
const NOW = new Date('2016-01-01T00:00:00Z');

class Model {
  readonly active = new Map<string, Set<number>>();
  readonly erased = new Set<string>();
  add(user: string, d: number): void {
    if (this.erased.has(user)) return;
    if (!this.active.has(user)) this.active.set(user, new Set());
    this.active.get(user)!.add(d);
  }
  erase(user: string): void {
    this.erased.add(user);
    this.active.delete(user);
  }
  dau(d: number): number {
    return [...this.active.values()].filter((s) => s.has(d)).length;
  }
  distinct(a: number, b: number): number {
    return [...this.active.values()].filter((s) => [...s].some((d) => d >= a && d <= b)).length;
  }
  daysByUser(a: number, b: number): string[][] {
    return [...this.active.values()]
      .map((s) =>
        [...s]
          .filter((d) => d >= a && d <= b)
          .sort((x, y) => x - y)
          .map(day),
      )
      .filter((l) => l.length > 0)
      .sort((x, y) => (x.join(',') < y.join(',') ? -1 : x.join(',') > y.join(',') ? 1 : 0));
  }
}

/** How often each kind of step happened across the seeds: the sequences must exercise all of them. */
const coverage = { rotations: 0, erasures: 0, droppedLate: 0, activeAcrossRotation: 0 };
const crossing = (model: Model, effective: number): number =>
  effective < 0
    ? 0
    : [...model.active.values()].filter(
        (s) => [...s].some((d) => d < effective) && [...s].some((d) => d >= effective),
      ).length;

let config: PipelineConfig;
beforeAll(async () => {
  config = await loadConfig();
});

async function check(activity: ActivityLedger, model: Model, rng: Xoshiro128, step: string): Promise<void> {
  for (let d = 0; d < DAYS; d++)
    expect(await activity.dau(day(d)), `${step}: dau ${day(d)}`).toBe(model.dau(d));
  const windows: [number, number][] = [[0, DAYS - 1]];
  for (let i = 0; i < 3; i++) {
    const a = rng.int(DAYS);
    windows.push([a, Math.min(DAYS - 1, a + rng.int(10))]);
  }
  for (const [a, b] of windows) {
    expect(await activity.distinctUsers(day(a), day(b)), `${step}: distinct ${day(a)}..${day(b)}`).toBe(
      model.distinct(a, b),
    );
  }
  const [a, b] = windows[1]!;
  expect(await activity.activeDaysByUser(day(0), day(DAYS - 1)), `${step}: days by user`).toEqual(
    model.daysByUser(0, DAYS - 1),
  );
  expect(await activity.activeDaysByUser(day(a), day(b)), `${step}: days by user ${a}..${b}`).toEqual(
    model.daysByUser(a, b),
  );
}

describe('activity ledger under a turnstile stream (property test against a brute-force model)', () => {
  for (const seed of ['turnstile-1', 'turnstile-2', 'turnstile-3']) {
    it(`matches the model after every step (seed ${seed})`, async () => {
      const rng = Xoshiro128.fromSeed(seed);
      const { lake, cleanup } = await tempLake();
      const activity = await openActivity(lake);
      const model = new Model();
      const users = Array.from({ length: 7 }, (_, i) => `${seed}-user-${i}`);
      let maxDay = 0;
      let lastEffective = -1;
      let rotations = 0;
      let erasures = 0;
      let droppedLate = 0;
      try {
        for (let step = 0; step < 12; step++) {
          const roll = rng.float();
          if (roll < 0.2 && maxDay + 1 < DAYS && step > 0) {
            const effective = maxDay + 1;
            await rotateKey(lake, day(effective), { latestSilverDate: day(maxDay), env: {} });
            lastEffective = effective;
            rotations++;
          } else if (roll < 0.45 && step > 0) {
            const user = users[rng.int(users.length)]!;
            await requestErasure(lake, user);
            model.erase(user);
            erasures++;
            // Half the time flush now; otherwise the next run flushes it first.
            if (rng.float() < 0.5) await flushDeletes(lake);
          } else {
            const n = 1 + rng.int(6);
            const events = Array.from({ length: n }, () => {
              const d = rng.int(Math.min(DAYS, Math.max(maxDay, lastEffective) + 4));
              const user = users[rng.int(users.length)]!;
              return { user, d, timestamp: Date.UTC(2016, 7, 1 + d) / 1000 + rng.int(86_400) };
            });
            await ingestEvents(
              lake,
              events.map((e) => ({ user_id: e.user, timestamp: e.timestamp })),
              { now: NOW },
            );
            const late = events.filter((e) => model.erased.has(e.user)).length;
            const { report } = await runPipeline({ lake, config, now: NOW });
            expect(report.totals.balanced).toBe(true);
            expect(report.totals.erased_dropped).toBe(late);
            droppedLate += late;
            for (const e of events) {
              model.add(e.user, e.d);
              if (!model.erased.has(e.user)) maxDay = Math.max(maxDay, e.d);
            }
          }
          await check(activity, model, rng, `${seed} step ${step}`);
        }
        // Drain pending erasures: counts are unchanged (they were excluded already).
        await flushDeletes(lake);
        await check(activity, model, rng, `${seed} after flush`);
        // Silver agrees once erasures are flushed: per day, one pseudonym per active user.
        const rows = await silverRows(lake);
        for (let d = 0; d < DAYS; d++) {
          const users = new Set(rows.filter((r) => r.date === day(d)).map((r) => r.user_pseudonym));
          expect(users.size, `${seed}: Silver users on ${day(d)}`).toBe(model.dau(d));
        }
        coverage.rotations += rotations;
        coverage.erasures += erasures;
        coverage.droppedLate += droppedLate;
        coverage.activeAcrossRotation += crossing(model, lastEffective);
      } finally {
        activity.close();
        await cleanup();
      }
    });
  }

  it('exercised rotations, erasures, late data of erased users and users spanning a rotation', () => {
    expect(coverage.rotations).toBeGreaterThan(0);
    expect(coverage.erasures).toBeGreaterThan(0);
    expect(coverage.droppedLate).toBeGreaterThan(0);
    expect(coverage.activeAcrossRotation).toBeGreaterThan(0);
  });

  it('counts a user active on both sides of a key rotation once, with different Silver pseudonyms', async () => {
    const { lake, cleanup } = await tempLake();
    const activity = await openActivity(lake);
    try {
      const t = (d: number): number => Date.UTC(2016, 7, 1 + d) / 1000 + 3600;
      await ingestEvents(
        lake,
        [
          { user_id: 'alice', timestamp: t(0) },
          { user_id: 'bob', timestamp: t(1) },
        ],
        {
          now: NOW,
        },
      );
      await runPipeline({ lake, config, now: NOW });
      await rotateKey(lake, day(2), { latestSilverDate: day(1), env: {} });
      await expect(rotateKey(lake, day(2), { latestSilverDate: day(1), env: {} })).rejects.toThrow(
        /after the latest rotation/,
      );
      await ingestEvents(lake, [{ user_id: 'alice', timestamp: t(3) }], { now: NOW });
      await runPipeline({ lake, config, now: NOW });
      expect(await activity.distinctUsers(day(0), day(3))).toBe(2);
      expect(await activity.dau(day(3))).toBe(1);
      const rows = await silverRows(lake);
      const alice = rows.filter((r) => r.date === day(0) || r.date === day(3));
      expect(alice.map((r) => r.key_version).sort()).toEqual(['v1', 'v2']);
      expect(new Set(alice.map((r) => r.user_pseudonym)).size).toBe(2);
      await expect(rotateKey(lake, day(3), { latestSilverDate: day(3), env: {} })).rejects.toThrow(
        /Silver already holds rows up to 2016-08-04/,
      );
    } finally {
      activity.close();
      await cleanup();
    }
  });
});
