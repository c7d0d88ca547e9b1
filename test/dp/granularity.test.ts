import { describe, expect, it } from 'vitest';
import { chooseGranularity, rationalFromNumber } from '../../src/dp/index.js';

describe('chooseGranularity', () => {
  it('returns 0.5 for [0, 600000]', () => {
    expect(chooseGranularity(0, 600_000)).toBe(0.5);
  });

  it('returns the largest exact power of two with (hi − lo)/g >= 2^20', () => {
    const cases: [number, number][] = [
      [0, 1],
      [0, 2 ** 20],
      [0, 2 ** 20 - 1],
      [-5, 5],
      [1e9, 1e9 + 3],
      [-1e12, 3e15],
      [0.001, 0.002],
      [-Number.MAX_VALUE, Number.MAX_VALUE],
    ];
    for (const [lo, hi] of cases) {
      const g = chooseGranularity(lo, hi);
      // An exact power of two: its rational form is 2^k or 1/2^k.
      const r = rationalFromNumber(g);
      expect(r.num === 1n || r.den === 1n).toBe(true);
      expect((r.num & (r.num - 1n)) | (r.den & (r.den - 1n))).toBe(0n);
      // (hi − lo)/g >= 2^20 > (hi − lo)/(2g), checked exactly in rationals.
      const a = rationalFromNumber(lo);
      const b = rationalFromNumber(hi);
      const range = { num: b.num * a.den - a.num * b.den, den: a.den * b.den };
      expect(range.num * r.den >= 2n ** 20n * r.num * range.den).toBe(true);
      expect(range.num * r.den < 2n ** 21n * r.num * range.den).toBe(true);
    }
    expect(chooseGranularity(0, 2 ** 20)).toBe(1);
    expect(chooseGranularity(0, 2 ** 20 - 1)).toBe(0.5);
    expect(chooseGranularity(0, 1)).toBe(2 ** -20);
  });

  it('rejects lo >= hi and non-finite bounds', () => {
    expect(() => chooseGranularity(1, 1)).toThrow(/lo must be < hi/);
    expect(() => chooseGranularity(0, Infinity)).toThrow(/hi must be a finite number/);
  });
});
