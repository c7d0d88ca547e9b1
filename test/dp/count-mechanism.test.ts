import { describe, expect, it } from 'vitest';
import {
  type ContributionBounds,
  countMechanism,
  discreteLaplaceHalfWidth,
  DpParameterError,
  releaseCount,
  seededRandom,
} from '../../src/dp/index.js';
import { ONE, REPS, SE_95 } from './helpers.js';

describe('countMechanism', () => {
  it('calibrates scale L0·Linf/ε and the 95% half-width', () => {
    const m = countMechanism(0.5, { maxPartitionsContributed: 2, maxContributionsPerPartition: 3 });
    expect(m.kind).toBe('count');
    expect(m.l1Sensitivity).toBe(6);
    expect(m.scale).toEqual({ num: 12n, den: 1n });
    expect(m.scaleNumber).toBe(12);
    expect(m.halfWidth95).toBe(discreteLaplaceHalfWidth(12, 0.05));
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.bounds)).toBe(true);
  });

  it('rejects bad epsilon and bounds with a one-line message naming the parameter', () => {
    expect(() => countMechanism(0, ONE)).toThrow(DpParameterError);
    expect(() => countMechanism(Number.NaN, ONE)).toThrow(/epsilon must be a finite number > 0, got NaN/);
    expect(() => countMechanism(1, { maxPartitionsContributed: 0, maxContributionsPerPartition: 1 })).toThrow(
      /maxPartitionsContributed must be a positive integer, got 0/,
    );
    expect(() =>
      countMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1.5 }),
    ).toThrow(/maxContributionsPerPartition must be a positive integer, got 1.5/);
    try {
      countMechanism(-1, ONE);
    } catch (e) {
      expect(e).toBeInstanceOf(DpParameterError);
      expect((e as DpParameterError).code).toBe('DP_PARAMETER');
      expect((e as DpParameterError).message).not.toContain('\n');
    }
  });
});

describe('releaseCount', () => {
  const cases: [number, ContributionBounds][] = [
    [1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }],
    [0.1, { maxPartitionsContributed: 2, maxContributionsPerPartition: 3 }],
  ];
  for (const [epsilon, bounds] of cases) {
    const m = countMechanism(epsilon, bounds);
    it(`ci95 covers the true count in ≥ 95% − 4 SE of ${REPS} releases (scale ${m.scaleNumber.toFixed(1)})`, () => {
      const rng = seededRandom(`count-coverage-${epsilon}`);
      const truth = 137n;
      let covered = 0;
      for (let i = 0; i < REPS; i++) {
        const { value, ci95 } = releaseCount(m, truth, rng);
        expect(Number.isInteger(value)).toBe(true);
        expect(ci95).toEqual([value - m.halfWidth95, value + m.halfWidth95]);
        if (ci95[0] <= 137 && 137 <= ci95[1]) covered += 1;
      }
      const coverage = covered / REPS;
      // One-sided 4 SE: a correct mechanism fails with probability < 3.2e-5.
      expect(coverage).toBeGreaterThanOrEqual(0.95 - 4 * SE_95);
      // Two-sided against the exact coverage 1 − P(|X| > h) (false failure 6.3e-5): the interval is not
      // needlessly wide either, and the noise has the calibrated scale.
      const a = Math.exp(-1 / m.scaleNumber);
      const exact = 1 - (2 * a ** (m.halfWidth95 + 1)) / (1 + a);
      expect(exact).toBeGreaterThanOrEqual(0.95);
      expect(Math.abs(coverage - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / REPS));
    });
  }

  it('rejects a negative true count', () => {
    const m = countMechanism(1, ONE);
    expect(() => releaseCount(m, -1n, seededRandom('x'))).toThrow(/trueCount must be a bigint >= 0, got -1/);
  });

  it('releases negative values when the noise says so (no clamping: unbiased)', () => {
    const m = countMechanism(0.5, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 });
    const rng = seededRandom('count-negative');
    let negatives = 0;
    let sum = 0;
    for (let i = 0; i < REPS; i++) {
      const { value } = releaseCount(m, 0n, rng);
      if (value < 0) negatives += 1;
      sum += value;
    }
    // P(X < 0) = a/(1 + a) ≈ 0.40 at scale 2: zero negatives would be impossible (≈ 0.6^4000).
    expect(negatives).toBeGreaterThan(0);
    // Mean within 5 SE of 0 (false failure 6e-7); variance of DL(2) is 2a/(1 − a)² ≈ 7.6.
    const a = Math.exp(-0.5);
    expect(Math.abs(sum / REPS)).toBeLessThan(5 * Math.sqrt((2 * a) / (1 - a) ** 2 / REPS));
  });
});
