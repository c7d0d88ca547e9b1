import { describe, expect, it } from 'vitest';
import {} from '../../src/dp/index.js';
import { chiSquareSurvival } from './stats.js';

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
