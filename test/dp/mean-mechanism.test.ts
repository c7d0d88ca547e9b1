import { describe, expect, it } from 'vitest';
import {
  discreteLaplaceHalfWidth,
  DpParameterError,
  meanMechanism,
  normalizedValue,
  quantize,
  rationalFromNumber,
  releaseMean,
  seededRandom,
} from '../../src/dp/index.js';
import { laplaceDraws, ONE, REPS, scripted, SE_95 } from './helpers.js';

describe('meanMechanism', () => {
  it('for [0, 600000], ε = 1, L0 = Linf = 1: grid 0.5, units 0..1,200,000, scales 2 and 2,400,000 half-units', () => {
    const m = meanMechanism(1, ONE, 0, 600_000);
    expect(m).toMatchObject({
      kind: 'mean',
      granularity: 0.5,
      loUnits: 0n,
      hiUnits: 1_200_000n,
      countEpsilon: 0.5,
      sumEpsilon: 0.5,
      countScale: { num: 2n, den: 1n },
      sumScale: { num: 2_400_000n, den: 1n },
    });
    expect(m.countHalfWidth).toBe(discreteLaplaceHalfWidth(2, 0.025));
    expect(m.sumHalfWidth).toBe(discreteLaplaceHalfWidth(2_400_000, 0.025));
    expect(Object.isFrozen(m)).toBe(true);
  });

  it('scales the sum sensitivity with L0·Linf and uses only grid points inside [lo, hi]', () => {
    const m = meanMechanism(0.3, { maxPartitionsContributed: 2, maxContributionsPerPartition: 3 }, -0.3, 7.1);
    const g = rationalFromNumber(m.granularity);
    expect(m.granularity).toBe(2 ** -18); // 7.4 / 2^-18 ≈ 1.94M >= 2^20 > 7.4 / 2^-17 ≈ 970k
    // loUnits·g is the smallest grid point >= lo, hiUnits·g the largest <= hi (exact comparisons).
    const lo = rationalFromNumber(-0.3);
    const hi = rationalFromNumber(7.1);
    expect(m.loUnits * g.num * lo.den >= lo.num * g.den).toBe(true);
    expect((m.loUnits - 1n) * g.num * lo.den < lo.num * g.den).toBe(true);
    expect(m.hiUnits * g.num * hi.den <= hi.num * g.den).toBe(true);
    expect((m.hiUnits + 1n) * g.num * hi.den > hi.num * g.den).toBe(true);
    // scale · ε/2 = sensitivity, exactly: sum 6·(hiUnits − loUnits) half-units, count 6.
    const halfEps = rationalFromNumber(0.15);
    expect(m.sumEpsilon).toBe(0.15);
    expect(m.sumScale.num * halfEps.num).toBe(m.sumScale.den * 6n * (m.hiUnits - m.loUnits) * halfEps.den);
    expect(m.countScale.num * halfEps.num).toBe(m.countScale.den * 6n * halfEps.den);
  });

  it('quantizes to the nearest grid point, clamped, and normalizes to half-units', () => {
    const m = meanMechanism(1, ONE, 0, 600_000);
    expect(quantize(m, 12.3)).toBe(25n);
    expect(quantize(m, 12.25)).toBe(25n); // half-way rounds up
    expect(quantize(m, -5)).toBe(0n);
    expect(quantize(m, 1e12)).toBe(1_200_000n);
    expect(quantize(m, Infinity)).toBe(1_200_000n);
    expect(normalizedValue(m, 0)).toBe(-1_200_000n);
    expect(normalizedValue(m, 600_000)).toBe(1_200_000n);
    expect(normalizedValue(m, 300_000)).toBe(0n);
    expect(() => quantize(m, Number.NaN)).toThrow(DpParameterError);
    // Bounds that are not grid points: q stays inside [loUnits, hiUnits].
    const odd = meanMechanism(1, ONE, 0.1, 0.7);
    expect(quantize(odd, 0.1)).toBe(odd.loUnits);
    expect(quantize(odd, 0.7)).toBe(odd.hiUnits);
  });

  it('rejects lo >= hi and non-finite bounds', () => {
    expect(() => meanMechanism(1, ONE, 5, 5)).toThrow(/lo must be < hi, got lo = 5, hi = 5/);
    expect(() => meanMechanism(1, ONE, Number.NaN, 5)).toThrow(/lo must be a finite number/);
    expect(() => meanMechanism(0, ONE, 0, 5)).toThrow(/epsilon/);
  });
});

describe('releaseMean', () => {
  const bounds = { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 };
  const m = meanMechanism(1, bounds, 0, 600_000);

  /** A partition of `n` values uniform in [0, 600000] (not on the grid), as its bounded aggregate. */
  function partition(n: number, seed: string) {
    const rng = seededRandom(seed);
    const values = Array.from({ length: n }, () => Number(rng.randomBelow(600_000_001n)) / 1000);
    const normalizedSum = values.reduce((s, v) => s + normalizedValue(m, v), 0n);
    // The mechanism's target: the mean of the grid values g·q(x).
    const gridMean = values.reduce((s, v) => s + Number(quantize(m, v)), 0) * (m.granularity / n);
    const rawMean = values.reduce((s, v) => s + v, 0) / n;
    return { agg: { count: BigInt(n), normalizedSum }, gridMean, rawMean };
  }

  for (const n of [500, 20]) {
    it(`ci95 covers the true mean of ${n} values in ≥ 95% − 4 SE of ${REPS} releases, inside [lo, hi]`, () => {
      const { agg, gridMean, rawMean } = partition(n, `mean-partition-${n}`);
      // Rounding to the grid moves the mean by at most g/2.
      expect(Math.abs(gridMean - rawMean)).toBeLessThanOrEqual(m.granularity / 2);
      const rng = seededRandom(`mean-coverage-${n}`);
      let covered = 0;
      for (let i = 0; i < REPS; i++) {
        const { value, ci95 } = releaseMean(m, agg, rng);
        expect(m.lo <= ci95[0] && ci95[0] <= value && value <= ci95[1] && ci95[1] <= m.hi).toBe(true);
        if (ci95[0] <= gridMean && gridMean <= ci95[1]) covered += 1;
      }
      // One-sided 4 SE (false failure < 3.2e-5). The box interval is conservative, so coverage is
      // usually well above 95%.
      expect(covered / REPS).toBeGreaterThanOrEqual(0.95 - 4 * SE_95);
    });
  }

  it('computes g·((loUnits + hiUnits) + noisySum/max(1, noisyCount))/2: with zero noise, the grid mean', () => {
    const values = [1000, 2000.3, 599_999.9];
    const agg = { count: 3n, normalizedSum: values.reduce((s, v) => s + normalizedValue(m, v), 0n) };
    // Count scale 2/1, sum scale 2,400,000/1: script both noises to 0.
    const rng = scripted([...laplaceDraws(2n), ...laplaceDraws(2_400_000n)]);
    const { value, ci95 } = releaseMean(m, agg, rng);
    expect(rng.remaining).toBe(0);
    expect(value).toBeCloseTo((1000 + 2000.5 + 600_000) / 3, 9);
    // The interval spans the box noisyCount ± countHalfWidth × noisySum ± sumHalfWidth.
    const meanAt = (sum: number, count: number) => (0.5 * (1_200_000 + sum / count)) / 2;
    const s = Number(agg.normalizedSum);
    const corners = [-1, 1].flatMap((dc) =>
      [-1, 1].map((ds) => meanAt(s + ds * m.sumHalfWidth, 3 + dc * m.countHalfWidth)),
    );
    expect(ci95[0]).toBeCloseTo(Math.max(0, Math.min(...corners)), 6);
    expect(ci95[1]).toBeCloseTo(Math.min(600_000, Math.max(...corners)), 6);
  });

  it('uses max(1, noisyCount) as the denominator when the noisy count is 0', () => {
    // An empty partition, count noise 0, sum noise +200,000 half-units: mean = g·(mid2 + 200,000/1)/2.
    const rng = scripted([...laplaceDraws(2n), ...laplaceDraws(2_400_000n, 200_000n)]);
    const { value } = releaseMean(m, { count: 0n, normalizedSum: 0n }, rng);
    expect(rng.remaining).toBe(0);
    expect(value).toBe((0.5 * (1_200_000 + 200_000)) / 2);
  });

  it('rejects aggregates that cannot come from bounded rows', () => {
    const rng = seededRandom('x');
    expect(() => releaseMean(m, { count: -1n, normalizedSum: 0n }, rng)).toThrow(DpParameterError);
    expect(() => releaseMean(m, { count: 1n, normalizedSum: 1_200_001n }, rng)).toThrow(/normalizedSum/);
    expect(() => releaseMean(m, { count: 1n, normalizedSum: -1_200_000n }, rng)).not.toThrow();
  });

  it('stays within [lo, hi] even for empty and tiny partitions at extreme values', () => {
    const rng = seededRandom('mean-clamp');
    const small = meanMechanism(
      0.1,
      { maxPartitionsContributed: 3, maxContributionsPerPartition: 2 },
      -10,
      20,
    );
    const aggs = [
      { count: 0n, normalizedSum: 0n },
      { count: 1n, normalizedSum: normalizedValue(small, 20) },
      { count: 2n, normalizedSum: 2n * normalizedValue(small, -10) },
    ];
    let clampedAtHi = 0;
    for (let i = 0; i < REPS; i++) {
      for (const agg of aggs) {
        const { value, ci95 } = releaseMean(small, agg, rng);
        expect(small.lo <= ci95[0] && ci95[0] <= value && value <= ci95[1] && ci95[1] <= small.hi).toBe(true);
        if (value === small.hi) clampedAtHi += 1;
      }
    }
    // The clamp is exercised (the unclamped mean leaves [lo, hi] often at ε = 0.1 with 1–2 rows).
    expect(clampedAtHi).toBeGreaterThan(0);
  });

  it('uses 97.5% half-widths for each of count and sum (Bonferroni: joint ≥ 95%)', () => {
    expect(m.countHalfWidth).toBe(discreteLaplaceHalfWidth(2, 0.025));
    expect(m.sumHalfWidth).toBe(discreteLaplaceHalfWidth(2_400_000, 0.025));
  });
});
