import { describe, expect, it } from 'vitest';
import { DpParameterError, rationalFromNumber, rationalToNumber } from '../../src/dp/index.js';

describe('rationalFromNumber', () => {
  it('converts doubles exactly and reduced', () => {
    expect(rationalFromNumber(1)).toEqual({ num: 1n, den: 1n });
    expect(rationalFromNumber(3.75)).toEqual({ num: 15n, den: 4n });
    expect(rationalFromNumber(-3.75)).toEqual({ num: -15n, den: 4n });
    expect(rationalFromNumber(0)).toEqual({ num: 0n, den: 1n });
    expect(rationalFromNumber(-0)).toEqual({ num: 0n, den: 1n });
    expect(rationalFromNumber(2 ** 70)).toEqual({ num: 2n ** 70n, den: 1n });
    // 0.1 is not 1/10 but the nearest double: 3602879701896397 / 2^55.
    expect(rationalFromNumber(0.1)).toEqual({ num: 3602879701896397n, den: 2n ** 55n });
    expect(rationalFromNumber(Number.MIN_VALUE)).toEqual({ num: 1n, den: 2n ** 1074n });
  });

  it('round-trips through num/den for 0.1, 1, 1e-3, 3.75 and a spread of doubles', () => {
    for (const x of [0.1, 1, 1e-3, 3.75, -7.3, 600_000, 1e300, 5e-324, Number.MAX_VALUE, 1 / 3]) {
      const r = rationalFromNumber(x);
      expect(rationalToNumber(r)).toBe(x);
      // Reduced: the denominator is a power of two and the numerator is odd unless den = 1.
      expect(r.den & (r.den - 1n)).toBe(0n);
      if (r.den > 1n) expect(r.num & 1n).toBe(1n);
    }
    // Reference values from Python's fractions.Fraction(x), which is exact.
    expect(rationalFromNumber(1e-3)).toEqual({ num: 1152921504606847n, den: 2n ** 60n });
    expect(rationalFromNumber(7.3)).toEqual({ num: 8219069319951155n, den: 2n ** 50n });
  });

  it('rejects non-finite input', () => {
    expect(() => rationalFromNumber(Number.NaN)).toThrow(DpParameterError);
    expect(() => rationalFromNumber(Infinity)).toThrow(DpParameterError);
  });
});
