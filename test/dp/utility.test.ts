import { describe, expect, it } from 'vitest';
import {
  countMechanism,
  meanMechanism,
  normalizedValue,
  partitionSelection,
  predictedError,
  quantileMechanism,
  releaseCount,
  releaseMean,
  seededRandom,
  sumMechanism,
} from '../../src/dp/index.js';
import { ONE } from './helpers.js';

describe('predictedError (seeded Monte Carlo checks)', () => {
  it('COUNT: E|error| matches 20,000 releases within 5 SE (false failure ≈ 6e-7)', () => {
    const m = countMechanism(0.5, { maxPartitionsContributed: 2, maxContributionsPerPartition: 1 });
    const [p] = predictedError(m);
    const rng = seededRandom('utility-count');
    const reps = 20_000;
    let abs = 0;
    for (let i = 0; i < reps; i++) abs += Math.abs(releaseCount(m, 1000n, rng).value - 1000);
    expect(Math.abs(abs / reps - p!.expectedAbsError)).toBeLessThan((5 * p!.stddev) / Math.sqrt(reps));
    expect(p!.halfWidth95).toBe(m.halfWidth95);
  });

  it('SUM: exact, in value units', () => {
    const m = sumMechanism({ epsilon: 1, bounds: ONE, lo: 0, hi: 10 });
    const [p] = predictedError(m);
    expect(p!.stddev).toBeCloseTo(10 * Math.SQRT2, 2); // Laplace scale 10 → stddev ≈ 10√2
    expect(p!.halfWidth95).toBe(m.halfWidth95);
  });

  it('MEAN: the first-order prediction is within 35% of the empirical mean |error| at n = 200 (values at 9: near the worst case, away from the clamp)', () => {
    const m = meanMechanism(1, ONE, 0, 10);
    const n = 200;
    const [p] = predictedError(m, { partitionSize: n });
    const agg = { count: BigInt(n), normalizedSum: BigInt(n) * normalizedValue(m, 9) };
    const rng = seededRandom('utility-mean');
    const reps = 20_000;
    let abs = 0;
    for (let i = 0; i < reps; i++) abs += Math.abs(releaseMean(m, agg, rng).value - 9);
    const ratio = abs / reps / p!.expectedAbsError;
    console.log(
      `MEAN predicted E|err| ${p!.expectedAbsError.toFixed(4)}, empirical ${(abs / reps).toFixed(4)}`,
    );
    expect(ratio).toBeGreaterThan(0.65);
    expect(ratio).toBeLessThan(1.35);
    expect(() => predictedError(m)).toThrow(/partitionSize/);
  });

  it('quantiles report rank error; partition selection reports the users needed', () => {
    const q = quantileMechanism({ epsilon: 1, bounds: ONE, lo: 0, hi: 100, quantiles: [0.5, 0.9] });
    const pq = predictedError(q, { partitionSize: 10_000 });
    expect(pq).toHaveLength(2);
    expect(pq[0]!.stddev).toBeGreaterThan(0);
    const ps = partitionSelection({ epsilon: Math.log(3), delta: 1e-5, maxPartitionsContributed: 1 });
    const [s] = predictedError(ps);
    expect(ps.keepProbability(s!.expectedAbsError)).toBeGreaterThanOrEqual(0.5);
    expect(ps.keepProbability(s!.expectedAbsError - 1)).toBeLessThan(0.5);
    expect(ps.keepProbability(s!.halfWidth95)).toBeGreaterThanOrEqual(0.95);
  });
});
