import { describe, expect, it } from 'vitest';
import {
  DpParameterError,
  quantileLeaf,
  quantileMechanism,
  releaseQuantiles,
  seededRandom,
} from '../../src/dp/index.js';
import { SE_95 } from './helpers.js';

const ONE = { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 };

describe('quantileMechanism (calibration is deterministic: false failure 0)', () => {
  it('charges Δ₁ = L0·Linf·height for the tree and maps values to leaves', () => {
    const m = quantileMechanism({
      epsilon: 1,
      bounds: { maxPartitionsContributed: 2, maxContributionsPerPartition: 3 },
      lo: 0,
      hi: 256,
      quantiles: [0.5],
      branching: 4,
      height: 4,
    });
    if (m.noise.kind !== 'laplace') throw new Error('expected Laplace');
    expect(m.noise.l1Sensitivity).toBe(24n);
    expect(m.leaves).toBe(256);
    expect(quantileLeaf(m, -5)).toBe(0);
    expect(quantileLeaf(m, 3.99)).toBe(3);
    expect(quantileLeaf(m, 256)).toBe(255);
  });

  it('rejects quantiles outside [0, 1] and an empty list', () => {
    expect(() => quantileMechanism({ epsilon: 1, bounds: ONE, lo: 0, hi: 1, quantiles: [1.5] })).toThrow(
      DpParameterError,
    );
    expect(() => quantileMechanism({ epsilon: 1, bounds: ONE, lo: 0, hi: 1, quantiles: [] })).toThrow(
      /non-empty/,
    );
  });
});

describe('releaseQuantiles (seeded)', () => {
  const rng = seededRandom('quantile-data');
  // 5000 values, skewed: pageview-like counts in [0, 200].
  const values = Array.from({ length: 5000 }, () => {
    const u = Number(rng.randomBelow(1_000_000n)) / 1_000_000;
    return Math.floor(-20 * Math.log(1 - u));
  });
  const sorted = [...values].sort((a, b) => a - b);
  const trueQuantile = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

  it('is accurate with a large ε: median and p90 within 1 of the truth (leaf width 200/4096)', () => {
    const m = quantileMechanism({
      epsilon: 100,
      bounds: ONE,
      lo: 0,
      hi: 200,
      quantiles: [0.5, 0.9],
      height: 3,
    });
    const r = releaseQuantiles(m, values, seededRandom('q-accurate'));
    expect(Math.abs(r[0]!.value - trueQuantile(0.5))).toBeLessThanOrEqual(1);
    expect(Math.abs(r[1]!.value - trueQuantile(0.9))).toBeLessThanOrEqual(1);
    // Same result from the leaf histogram as from the values.
    const hist = new Map<number, bigint>();
    for (const x of values) hist.set(quantileLeaf(m, x), (hist.get(quantileLeaf(m, x)) ?? 0n) + 1n);
    const r2 = releaseQuantiles(m, hist, seededRandom('q-accurate'));
    expect(r2.map((x) => x.value)).toEqual(r.map((x) => x.value));
  });

  for (const noise of ['laplace', 'gaussian'] as const) {
    it(`bootstrap 95% intervals cover the true median in >= 95% − 5 SE of 200 repetitions (${noise}; false failure ≈ 3e-7 if the method is at least nominal)`, () => {
      const m = quantileMechanism({
        epsilon: 0.5,
        delta: noise === 'gaussian' ? 1e-6 : undefined,
        noise,
        bounds: ONE,
        lo: 0,
        hi: 200,
        quantiles: [0.5],
        height: 3,
      });
      const small = values.slice(0, 300);
      const s = [...small].sort((a, b) => a - b);
      // Any value between the order statistics around rank n/2 is a true median.
      const lo = s[Math.floor(0.5 * s.length) - 1]!;
      const hi = s[Math.floor(0.5 * s.length)]!;
      const reps = 200;
      const r = seededRandom(`q-coverage-${noise}`);
      let hits = 0;
      let width = 0;
      for (let i = 0; i < reps; i++) {
        const [q] = releaseQuantiles(m, small, r);
        if (q!.ci95[0] <= hi && q!.ci95[1] >= lo) hits += 1;
        width += q!.ci95[1] - q!.ci95[0];
      }
      console.log(
        `quantile coverage (${noise}): ${hits / reps}, mean width ${(width / reps).toFixed(2)}, true median ${lo}–${hi}`,
      );
      expect(hits / reps).toBeGreaterThanOrEqual(0.95 - 5 * Math.sqrt((0.95 * 0.05) / reps));
      expect(SE_95).toBeGreaterThan(0);
    });
  }
});
