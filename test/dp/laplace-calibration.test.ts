import { describe, expect, it } from 'vitest';
import { discreteLaplaceHalfWidth, discreteLaplaceScale, DpParameterError } from '../../src/dp/index.js';

describe('discreteLaplaceScale', () => {
  it('is exactly l1 / epsilon', () => {
    expect(discreteLaplaceScale(1, 1)).toEqual({ num: 1n, den: 1n });
    expect(discreteLaplaceScale(2, 0.5)).toEqual({ num: 4n, den: 1n });
    expect(discreteLaplaceScale(1, 3)).toEqual({ num: 1n, den: 3n });
    expect(discreteLaplaceScale(0, 1)).toEqual({ num: 0n, den: 1n });
    // 1 / 0.1 = 2^55 / 3602879701896397, slightly below 10 because the double 0.1 is slightly above 1/10:
    // the noise is calibrated to the ε actually passed, not to its decimal spelling.
    const s = discreteLaplaceScale(1, 0.1);
    expect(s).toEqual({ num: 2n ** 55n, den: 3602879701896397n });
    expect(s.num < s.den * 10n).toBe(true);
  });

  it('names the bad parameter', () => {
    expect(() => discreteLaplaceScale(1, 0)).toThrow(/epsilon must be a finite number > 0, got 0/);
    expect(() => discreteLaplaceScale(-1, 1)).toThrow(/l1Sensitivity/);
    expect(() => discreteLaplaceScale(1, Infinity)).toThrow(DpParameterError);
  });
});

describe('discreteLaplaceHalfWidth', () => {
  /** P(|X| > h) = 2a^(h+1)/(1 + a), a = exp(−1/scale): the closed form. */
  const tailBeyond = (scale: number, h: number): number => {
    const a = Math.exp(-1 / scale);
    return (2 * a ** (h + 1)) / (1 + a);
  };

  it('is the smallest h with P(|X| > h) <= alpha, by the closed form', () => {
    for (const scale of [0.05, 0.3, 0.5, 1, 2, 7.3, 10.000000000000002, 100, 4800, 2_400_000]) {
      for (const alpha of [0.05, 0.025, 0.01, 1e-6]) {
        const h = discreteLaplaceHalfWidth(scale, alpha);
        expect(Number.isInteger(h) && h >= 0).toBe(true);
        expect(tailBeyond(scale, h)).toBeLessThanOrEqual(alpha * (1 + 1e-9));
        if (h > 0) expect(tailBeyond(scale, h - 1)).toBeGreaterThan(alpha * (1 - 1e-9));
      }
    }
  });

  it('matches hand-computed values', () => {
    // scale 1: P(|X| > 2) = 2e^-3/(1 + e^-1) ≈ 0.073, P(|X| > 3) ≈ 0.027.
    expect(discreteLaplaceHalfWidth(1, 0.05)).toBe(3);
    expect(discreteLaplaceHalfWidth(4, 0.05)).toBe(12);
    // Tiny scale: P(|X| > 0) = 2a/(1 + a) ≈ 2e^-10 already below 5%.
    expect(discreteLaplaceHalfWidth(0.1, 0.05)).toBe(0);
    expect(discreteLaplaceHalfWidth(0, 0.05)).toBe(0);
  });

  it('rejects bad alpha and scale', () => {
    expect(() => discreteLaplaceHalfWidth(1, 0)).toThrow(/alpha/);
    expect(() => discreteLaplaceHalfWidth(1, 1)).toThrow(/alpha/);
    expect(() => discreteLaplaceHalfWidth(-1, 0.05)).toThrow(/scale/);
  });
});
