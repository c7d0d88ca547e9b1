import { describe, expect, it } from 'vitest';
import {
  DpParameterError,
  partitionSelection,
  secureRandom,
  seededRandom,
  selectPartition,
} from '../../src/dp/index.js';

describe('partitionSelection: truncated geometric (deterministic; vectors from dp-reference.md §8)', () => {
  it('matches the reference vectors for ε = ln 3, δ = 1e-5, L0 = 1', () => {
    const m = partitionSelection({ epsilon: Math.log(3), delta: 1e-5, maxPartitionsContributed: 1 });
    expect(m.crossover1).toBe(10);
    expect(m.crossover2).toBe(20);
    expect(m.keepProbability(0)).toBe(0);
    expect(m.keepProbability(1)).toBeCloseTo(1e-5, 15);
    expect(m.keepProbability(5)).toBeCloseTo(1.21e-3, 9);
    expect(m.keepProbability(10)).toBeCloseTo(0.29524, 5);
    expect(m.keepProbability(11)).toBeCloseTo(0.765083, 6);
    expect(m.keepProbability(21)).toBe(1);
  });

  for (const [eps, delta, l0] of [
    [Math.log(3), 1e-5, 1],
    [1, 1e-6, 3],
    [0.1, 1e-8, 1],
    [2, 1e-3, 5],
  ] as const) {
    it(`is ε'-ratio bounded both ways and monotone (ε=${eps.toFixed(3)}, δ=${delta}, L0=${l0})`, () => {
      const m = partitionSelection({ epsilon: eps, delta, maxPartitionsContributed: l0 });
      const e = Math.exp(m.perPartitionEpsilon);
      const d = m.perPartitionDelta;
      expect(m.keepProbability(1)).toBeLessThanOrEqual(d * (1 + 1e-12));
      for (let n = 0; n <= m.crossover2! + 2; n++) {
        const p = m.keepProbability(n);
        const q = m.keepProbability(n + 1);
        expect(q).toBeGreaterThanOrEqual(p);
        expect(q).toBeLessThanOrEqual(e * p + d + 1e-12);
        expect(1 - p).toBeLessThanOrEqual(e * (1 - q) + d + 1e-12);
      }
      // δ' recombines to δ over L0 partitions.
      expect(-Math.expm1(l0 * Math.log1p(-d))).toBeCloseTo(delta, 15);
    });
  }
});

describe('partitionSelection: Laplace thresholding (deterministic)', () => {
  it('puts the threshold next to Google’s continuous one (T = 11.82 for ε = 1, δ = 1e-5, L0 = 1; 36.76 for L0 = 3)', () => {
    const m1 = partitionSelection({
      epsilon: 1,
      delta: 1e-5,
      maxPartitionsContributed: 1,
      strategy: 'laplace_threshold',
    });
    expect(m1.perPartitionDelta).toBeCloseTo(1e-5, 15);
    expect(m1.threshold! - 1).toBeGreaterThanOrEqual(11.819778 - 1);
    expect(m1.threshold! - 1).toBeLessThanOrEqual(11.819778 + 1);
    const m3 = partitionSelection({
      epsilon: 1,
      delta: 1e-5,
      maxPartitionsContributed: 3,
      strategy: 'laplace_threshold',
    });
    expect(m3.perPartitionDelta).toBeCloseTo(3.333344e-6, 11);
    expect(Math.abs(m3.threshold! - 1 - 36.755162)).toBeLessThanOrEqual(3);
  });

  it('keeps a one-user partition with probability at most δ′, and just above it at T − 1', () => {
    for (const [eps, delta, l0] of [
      [1, 1e-5, 1],
      [0.5, 1e-7, 2],
      [3, 1e-3, 4],
    ] as const) {
      const m = partitionSelection({
        epsilon: eps,
        delta,
        maxPartitionsContributed: l0,
        strategy: 'laplace_threshold',
      });
      const p1 = m.keepProbability(1);
      expect(p1).toBeLessThanOrEqual(m.perPartitionDelta);
      // One less would exceed δ′: the threshold is the smallest that works.
      const b = l0 / eps;
      const k = m.threshold! - 1;
      expect(Math.exp(-(k - 1) / b) / (1 + Math.exp(-1 / b))).toBeGreaterThan(m.perPartitionDelta);
    }
  });
});

describe('selectPartition (seeded; each frequency check is a 5-SE band, false failure ≈ 6e-7 each)', () => {
  const N = 200_000;
  for (const strategy of ['truncated_geometric', 'laplace_threshold'] as const) {
    it(`keeps with the stated probability (${strategy})`, () => {
      const m = partitionSelection({
        epsilon: Math.log(3),
        delta: 1e-5,
        maxPartitionsContributed: 1,
        strategy,
      });
      const rng = seededRandom(`ps-${strategy}`);
      for (const n of [8, 11, 14]) {
        const p = m.keepProbability(n);
        let kept = 0;
        for (let i = 0; i < N; i++) if (selectPartition(m, BigInt(n), rng)) kept += 1;
        expect(Math.abs(kept / N - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / N) + 1e-9);
      }
    });
  }

  it('never keeps an empty partition and always keeps a huge one', () => {
    const m = partitionSelection({ epsilon: 1, delta: 1e-5, maxPartitionsContributed: 1 });
    expect(selectPartition(m, 0n, secureRandom())).toBe(false);
    expect(selectPartition(m, 10n ** 30n, secureRandom())).toBe(true);
  });

  it('rejects bad parameters with a clear error', () => {
    expect(() => partitionSelection({ epsilon: 1, delta: 0, maxPartitionsContributed: 1 })).toThrow(
      DpParameterError,
    );
    expect(() => partitionSelection({ epsilon: 1, delta: 1e-5, maxPartitionsContributed: 0 })).toThrow(
      /maxPartitionsContributed/,
    );
  });
});
