import { describe, expect, it } from 'vitest';
import {
  accumulatePartition,
  DpParameterError,
  multiStatMechanism,
  noiseHalfWidth,
  privacyIdCountMechanism,
  quantize,
  rationalToNumber,
  releaseMultiStat,
  releaseSum,
  seededRandom,
  sumMechanism,
  varianceMechanism,
} from '../../src/dp/index.js';

const B = { maxPartitionsContributed: 2, maxContributionsPerPartition: 3 } as const;

// Calibration checks are deterministic (false-failure rate 0) unless stated.
describe('sumMechanism', () => {
  it('has Δ₁ = L0·Linf·max(|lo|, |hi|) on the grid and a half-width in value units', () => {
    const m = sumMechanism({ epsilon: 0.5, bounds: B, lo: -40, hi: 10 });
    // grid for a range of 50: g = 2^-15, so max(|lo|, |hi|) = 40 → 40·2^15 units.
    expect(m.granularity).toBe(2 ** -15);
    expect(m.l1Sensitivity).toBe(2n * 3n * 40n * 2n ** 15n);
    if (m.noise.kind !== 'laplace') throw new Error('expected Laplace');
    expect(rationalToNumber(m.noise.scale) * m.granularity).toBeCloseTo((2 * 3 * 40) / 0.5, 9);
    expect(m.halfWidth95).toBe(noiseHalfWidth(m.noise) * m.granularity);
  });

  it('releases values on the grid (no floating-point artefacts: value/g is an integer)', () => {
    const m = sumMechanism({ epsilon: 1, bounds: B, lo: 0, hi: 100 });
    const rng = seededRandom('sum-grid');
    for (let i = 0; i < 100; i++) {
      const r = releaseSum(m, { sum: quantize(m, 37.3) + quantize(m, 12) }, rng);
      expect(Number.isInteger(r.value / m.granularity)).toBe(true);
    }
  });
});

describe('privacyIdCountMechanism', () => {
  it('has Δ = L0 whatever Linf', () => {
    const m = privacyIdCountMechanism({
      epsilon: 1,
      bounds: { maxPartitionsContributed: 3, maxContributionsPerPartition: 50 },
    });
    expect(m.l1Sensitivity).toBe(3);
    expect(m.scale).toEqual({ num: 3n, den: 1n });
    const g = privacyIdCountMechanism({ epsilon: 1, delta: 1e-6, noise: 'gaussian', bounds: B });
    if (g.noise.kind !== 'gaussian') throw new Error('expected Gaussian');
    expect(g.noise.l2SensitivitySquared).toBe(2n);
  });
});

describe('multiStatMechanism (one bounding pass, one budget split over parts)', () => {
  it('shares the count between COUNT and MEAN and derives SUM at no cost', () => {
    const m = multiStatMechanism({ epsilon: 1, bounds: B, lo: 0, hi: 50 }, ['count', 'mean', 'sum']);
    expect(Object.keys(m.parts).sort()).toEqual(['count', 'normalized_sum']);
    const eps = Object.values(m.parts).map((p) => (p.noise.kind === 'laplace' ? p.noise.epsilon : NaN));
    expect(eps).toEqual([0.5, 0.5]);
  });

  it('gives SUM its own part when no MEAN/VARIANCE is asked, and splits by weights', () => {
    const m = multiStatMechanism(
      { epsilon: 0.9, bounds: B, lo: 0, hi: 50 },
      ['count', 'sum', 'privacy_id_count'],
      {
        weights: { sum: 2 },
      },
    );
    expect(Object.keys(m.parts).sort()).toEqual(['count', 'privacy_id_count', 'sum']);
    const e = (k: 'count' | 'sum' | 'privacy_id_count'): number => {
      const n = m.parts[k]!.noise;
      return n.kind === 'laplace' ? n.epsilon : NaN;
    };
    expect(e('sum')).toBeCloseTo(0.45, 12);
    expect(e('count') + e('sum') + e('privacy_id_count')).toBeLessThanOrEqual(0.9);
  });

  it('VARIANCE splits the budget in three; Gaussian splits ρ', () => {
    const v = varianceMechanism({ epsilon: 1, delta: 1e-6, noise: 'gaussian', bounds: B, lo: 0, hi: 10 });
    const rhos = [v.count, v.normalizedSum, v.normalizedSumOfSquares].map((p) =>
      p.noise.kind === 'gaussian' ? p.noise.rho : NaN,
    );
    expect(rhos[0]! + rhos[1]! + rhos[2]!).toBeLessThanOrEqual(v.rho);
    expect(rhos[0]).toBeCloseTo(v.rho / 3, 12);
  });

  it('accumulates a bounded partition and releases every statistic with its interval method', () => {
    const m = multiStatMechanism({ epsilon: 1e6, bounds: B, lo: 0, hi: 10 }, [
      'count',
      'privacy_id_count',
      'sum',
      'mean',
      'variance',
    ]);
    const rows = [
      { privacyId: 'a', value: 1 },
      { privacyId: 'a', value: 3 },
      { privacyId: 'b', value: 5 },
      { privacyId: 'c', value: 7 },
    ];
    const agg = accumulatePartition(m, rows);
    expect(agg.count).toBe(4n);
    expect(agg.privacyIdCount).toBe(3n);
    // ε = 10⁶: noise is essentially 0, so values equal the truth up to a grid step.
    const r = releaseMultiStat(m, agg, seededRandom('multi'));
    expect(r.count!.value).toBe(4);
    expect(r.privacy_id_count!.value).toBe(3);
    expect(r.mean!.value).toBeCloseTo(4, 3);
    expect(r.sum!.value).toBeCloseTo(16, 3);
    expect(r.variance!.value).toBeCloseTo(5, 3);
    expect(r.mean!.intervalMethod).toMatch(/union bound/);
    expect(r.count!.intervalMethod).toMatch(/exact/);
  });

  it('rejects unknown statistics and value statistics without bounds', () => {
    expect(() => multiStatMechanism({ epsilon: 1, bounds: B }, ['median' as 'count'])).toThrow(
      /unknown statistic "median"/,
    );
    expect(() => multiStatMechanism({ epsilon: 1, bounds: B }, ['mean'])).toThrow(DpParameterError);
  });
});
