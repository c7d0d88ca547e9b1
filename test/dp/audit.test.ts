import { describe, expect, it } from 'vitest';
import {
  countMechanism,
  multiStatMechanism,
  partitionSelection,
  type PartitionSelectionStrategy,
  quantize,
  type RandomSource,
  rationalToNumber,
  releaseCount,
  releaseMultiStat,
  releaseSum,
  selectPartition,
  sumMechanism,
} from '../../src/dp/index.js';
import { audit, type AuditResult } from './audit.js';

const BOUNDS = { maxPartitionsContributed: 1, maxContributionsPerPartition: 2 };

function auditCount(calibrationEpsilon: number, label: string): AuditResult {
  const m = countMechanism(calibrationEpsilon, BOUNDS);
  const x = 100n;
  const x2 = x + 2n; // the added user's Linf = 2 rows
  return audit(
    label,
    { epsilon: 1, delta: 0 },
    (rng) => releaseCount(m, x, rng).value,
    (rng) => releaseCount(m, x2, rng).value,
    [(o) => o >= Number(x2), (o) => o <= Number(x)],
    `audit-count-${label}`,
  );
}

function auditSum(calibrationEpsilon: number, label: string): AuditResult {
  const m = sumMechanism({ epsilon: calibrationEpsilon, bounds: BOUNDS, lo: 0, hi: 10 });
  const sumD = [3, 7.5, 1, 9, 4].reduce((s, v) => s + quantize(m, v), 0n);
  const sumN = sumD + 2n * quantize(m, 10); // neighbour: Linf rows at the largest |value|
  const g = m.granularity;
  return audit(
    label,
    { epsilon: 1, delta: 0 },
    (rng) => releaseSum(m, { sum: sumD }, rng).value,
    (rng) => releaseSum(m, { sum: sumN }, rng).value,
    [(o) => o >= Number(sumN) * g, (o) => o <= Number(sumD) * g],
    `audit-sum-${label}`,
  );
}

/**
 * MEAN is post-processing of its two noisy parts (count n, normalized sum V); the audit observes
 * both, recovered exactly from a release of mean + count + derived sum (sum = g·(mid2·n + V)/2).
 */
function auditMean(calibrationEpsilon: number, label: string): AuditResult {
  const m = multiStatMechanism({ epsilon: calibrationEpsilon, bounds: BOUNDS, lo: 0, hi: 10 }, [
    'mean',
    'count',
    'sum',
  ]);
  const g = m.grid!;
  const rows = [3, 7.5, 1, 9, 4].map((value, i) => ({ privacyId: `u${i}`, value }));
  const range = g.hiUnits - g.loUnits;
  const d = {
    count: 5n,
    normalizedSum: rows.reduce((s, r) => s + (2n * quantize(g, r.value) - (g.loUnits + g.hiUnits)), 0n),
  };
  const neighbour = { count: d.count + 2n, normalizedSum: d.normalizedSum + 2n * range };
  const mid2 = Number(g.loUnits + g.hiUnits);
  const observe = (agg: typeof d) => (rng: RandomSource) => {
    const r = releaseMultiStat(m, agg, rng);
    const n = r.count!.value;
    return { n, v: Math.round((2 * r.sum!.value) / g.granularity - mid2 * n) };
  };
  const nD = Number(d.count);
  const vD = Number(d.normalizedSum);
  const nN = Number(neighbour.count);
  const vN = Number(neighbour.normalizedSum);
  return audit(
    label,
    { epsilon: 1, delta: 0 },
    observe(d),
    observe(neighbour),
    [(o) => o.n >= nN && o.v >= vN, (o) => o.n <= nD && o.v <= vD],
    `audit-mean-${label}`,
  );
}

function auditPartitionSelection(
  strategy: PartitionSelectionStrategy,
  calibrationEpsilon: number,
  label: string,
) {
  const declared = { epsilon: Math.log(3), delta: 1e-5 };
  const m = partitionSelection({
    epsilon: calibrationEpsilon,
    delta: declared.delta,
    maxPartitionsContributed: 1,
    strategy,
  });
  // The event is fixed from the mechanism's public keep probabilities: the smallest n kept w.p. >= 2%.
  let n = 1;
  while (m.keepProbability(n) < 0.02) n += 1;
  return audit(
    label,
    declared,
    (rng) => selectPartition(m, BigInt(n), rng),
    (rng) => selectPartition(m, BigInt(n + 1), rng),
    [(o) => o, (o) => !o],
    `audit-ps-${label}`,
    1_000_000,
  );
}

describe('empirical privacy audit (false failure 1e-6 per audit; planted bugs must be detected)', () => {
  it('COUNT, discrete Laplace, ε = 1: ε̂_lower <= ε', () => {
    expect(auditCount(1, 'COUNT laplace').epsilonLower).toBeLessThanOrEqual(1);
  });
  it('COUNT with the noise scale halved (planted bug): ε̂_lower > ε', () => {
    expect(auditCount(2, 'COUNT planted bug').epsilonLower).toBeGreaterThan(1);
  });

  it('COUNT, discrete Gaussian, ε = 1, δ = 1e-6: ε̂_lower <= ε', () => {
    const m = countMechanism(1, BOUNDS, { noise: 'gaussian', delta: 1e-6 });
    const sigma = rationalToNumber(m.scale);
    const r = audit(
      'COUNT gaussian',
      { epsilon: 1, delta: 1e-6 },
      (rng) => releaseCount(m, 100n, rng).value,
      (rng) => releaseCount(m, 102n, rng).value,
      [0, 1, 2].flatMap((k) => [(o: number) => o >= 102 + k * sigma, (o: number) => o <= 100 - k * sigma]),
      'audit-count-gaussian',
    );
    expect(r.epsilonLower).toBeLessThanOrEqual(1);
  });

  it('SUM, discrete Laplace on the grid, ε = 1: ε̂_lower <= ε', () => {
    expect(auditSum(1, 'SUM laplace').epsilonLower).toBeLessThanOrEqual(1);
  });
  it('SUM with the noise scale halved (planted bug): ε̂_lower > ε', () => {
    expect(auditSum(2, 'SUM planted bug').epsilonLower).toBeGreaterThan(1);
  });

  it('MEAN (count + normalized sum), ε = 1: ε̂_lower <= ε', () => {
    expect(auditMean(1, 'MEAN laplace').epsilonLower).toBeLessThanOrEqual(1);
  });
  it('MEAN with both noise scales halved (planted bug): ε̂_lower > ε', () => {
    expect(auditMean(2, 'MEAN planted bug').epsilonLower).toBeGreaterThan(1);
  });

  for (const strategy of ['truncated_geometric', 'laplace_threshold'] as const) {
    it(`partition selection (${strategy}), ε = ln 3, δ = 1e-5: ε̂_lower <= ε`, () => {
      expect(
        auditPartitionSelection(strategy, Math.log(3), `PS ${strategy}`).epsilonLower,
      ).toBeLessThanOrEqual(Math.log(3));
    });
    it(`partition selection (${strategy}) calibrated for 2ε (planted bug): ε̂_lower > ε`, () => {
      expect(
        auditPartitionSelection(strategy, 2 * Math.log(3), `PS ${strategy} planted bug`).epsilonLower,
      ).toBeGreaterThan(Math.log(3));
    });
  }
});
