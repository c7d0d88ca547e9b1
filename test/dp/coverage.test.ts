import { describe, expect, it } from 'vitest';
import {
  accumulatePartition,
  boundContributions,
  type Contribution,
  multiStatMechanism,
  type NoiseKind,
  normalizedValue,
  quantize,
  releaseMultiStat,
  seededRandom,
  type Statistic,
} from '../../src/dp/index.js';
import { REPS, SE_95 } from './helpers.js';

/**
 * Interval coverage on synthetic data with known truth, REPS = 4000 repetitions per statistic and
 * noise kind. Every 95% interval must cover the truth in at least 95% − 5 SE of repetitions
 * (one-sided false failure ≈ 3e-7 per check). Exact-noise intervals (COUNT, PRIVACY_ID_COUNT,
 * SUM) must also not exceed 95% + 2% (the discreteness of integer noise: h is the smallest
 * integer reaching 95%) + 5 SE; union-bound intervals (MEAN, VARIANCE, derived SUM) are
 * conservative by design and only get the lower check. Fixed seeds.
 */
const LOWER = 0.95 - 5 * SE_95;
const UPPER_EXACT = 0.97 + 5 * SE_95;

/** 150 users, 1–4 rows each in partition "p" (and some in "q"), values in [0, 12] (some above hi = 10, clamped). */
function syntheticRows(): Contribution<number>[] {
  const rng = seededRandom('coverage-data');
  const rows: Contribution<number>[] = [];
  for (let u = 0; u < 150; u++) {
    const n = 1 + Number(rng.randomBelow(4n));
    for (let i = 0; i < n; i++) {
      rows.push({
        privacyId: `u${u}`,
        partitionKey: rng.randomBelow(3n) === 0n ? 'q' : 'p',
        rowId: `${u}-${i}`,
        value: Number(rng.randomBelow(1201n)) / 100,
      });
    }
  }
  return rows;
}

const bounds = { maxPartitionsContributed: 1, maxContributionsPerPartition: 2 };
const kept = boundContributions(syntheticRows(), bounds, 'coverage-salt').filter(
  (r) => r.partitionKey === 'p',
);

for (const noise of ['laplace', 'gaussian'] as NoiseKind[]) {
  describe(`95% interval coverage, ${noise} noise (≥ 95% − 5 SE; exact intervals ≤ 97% + 5 SE)`, () => {
    const budget = {
      epsilon: 0.5,
      delta: noise === 'gaussian' ? 1e-6 : undefined,
      noise,
      bounds,
      lo: 0,
      hi: 10,
    };

    function coverage(stats: Statistic[], seed: string): Partial<Record<Statistic, number>> {
      const m = multiStatMechanism(budget, stats);
      const agg = accumulatePartition(m, kept);
      const g = m.grid!;
      const grid = kept.map((r) => Number(quantize(g, r.value)) * g.granularity);
      const n = grid.length;
      const mean = grid.reduce((s, x) => s + x, 0) / n;
      const truth: Record<Statistic, number> = {
        count: n,
        privacy_id_count: new Set(kept.map((r) => r.privacyId)).size,
        sum: grid.reduce((s, x) => s + x, 0),
        mean,
        variance: grid.reduce((s, x) => s + (x - mean) ** 2, 0) / n,
      };
      // The normalized values reproduce the grid mean exactly (sanity check of the aggregate).
      const nv = kept.reduce((s, r) => s + normalizedValue(g, r.value), 0n);
      expect((g.granularity * (Number(g.loUnits + g.hiUnits) + Number(nv) / n)) / 2).toBeCloseTo(mean, 9);
      const rng = seededRandom(seed);
      const hits: Partial<Record<Statistic, number>> = {};
      for (let i = 0; i < REPS; i++) {
        const r = releaseMultiStat(m, agg, rng);
        for (const s of stats) {
          const [lo, hi] = r[s]!.ci95;
          if (lo <= truth[s] + 1e-9 && truth[s] - 1e-9 <= hi) hits[s] = (hits[s] ?? 0) + 1;
        }
      }
      const out: Partial<Record<Statistic, number>> = {};
      for (const s of stats) out[s] = (hits[s] ?? 0) / REPS;
      console.log(`coverage (${noise}, ${stats.join('+')}): ${JSON.stringify(out)}`);
      return out;
    }

    it('COUNT, PRIVACY_ID_COUNT and standalone SUM (exact intervals)', () => {
      const c = coverage(['count', 'privacy_id_count', 'sum'], `cov-exact-${noise}`);
      for (const s of ['count', 'privacy_id_count', 'sum'] as const) {
        expect(c[s]!).toBeGreaterThanOrEqual(LOWER);
        expect(c[s]!).toBeLessThanOrEqual(UPPER_EXACT);
      }
    });

    it('MEAN, VARIANCE and derived SUM (union-bound intervals, conservative)', () => {
      const c = coverage(['mean', 'variance', 'sum'], `cov-union-${noise}`);
      for (const s of ['mean', 'variance', 'sum'] as const) expect(c[s]!).toBeGreaterThanOrEqual(LOWER);
    });
  });
}
