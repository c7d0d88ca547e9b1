import { describe, expect, it } from 'vitest';
import {} from '../../src/dp/index.js';
import { chiSquareSurvival, clopperPearson } from './stats.js';

describe('chi-square survival function', () => {
  it('matches tabulated critical values', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 10);
    expect(chiSquareSurvival(2, 2)).toBeCloseTo(Math.exp(-1), 12);
    // Far in a large-df tail, where the 1e-6 decisions are made (reference: scipy.stats.chi2.sf).
    expect(chiSquareSurvival(1250, 1000) / 1.0129793877298241e-7).toBeCloseTo(1, 9);
    expect(chiSquareSurvival(1199.35, 1170) / 0.26911567017215143).toBeCloseTo(1, 9);
  });
});

describe('clopperPearson', () => {
  it('matches known bounds', () => {
    // k = 5 of n = 10 at 97.5% one-sided each: the classic 95% CP interval [0.187086, 0.812914].
    const r = clopperPearson(5, 10, 0.025);
    expect(r.lower).toBeCloseTo(0.187086, 5);
    expect(r.upper).toBeCloseTo(0.812914, 5);
    // k = 0: upper = 1 − alpha^(1/n).
    expect(clopperPearson(0, 100, 0.05).upper).toBeCloseTo(1 - 0.05 ** (1 / 100), 8);
    // Large n: close to the normal bounds.
    const big = clopperPearson(300_000, 1_000_000, 1e-6);
    expect(big.lower).toBeGreaterThan(0.297);
    expect(big.upper).toBeLessThan(0.303);
  });
});
