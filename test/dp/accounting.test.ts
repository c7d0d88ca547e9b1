import { describe, expect, it } from 'vitest';
import {
  DpParameterError,
  NaiveAccountant,
  pureEpsilonToRho,
  rationalFromNumber,
  rhoForEpsilonDelta,
  rhoToDelta,
  rhoToEpsilon,
  simpleRhoToEpsilon,
  splitBudget,
  ZcdpAccountant,
} from '../../src/dp/index.js';

// Deterministic: no randomness, false-failure rate 0.
describe('zCDP conversions (vectors from dp-reference.md §8)', () => {
  const vectors: [number, number, number][] = [
    [0.1, 2.245966, 1.914239],
    [0.5, 5.298526, 4.728387],
    [1.0, 7.78614, 7.077197],
  ];
  for (const [rho, simple, tight] of vectors) {
    it(`ρ = ${rho}, δ = 1e-5: simple ε = ${simple}, tight ε = ${tight}`, () => {
      expect(simpleRhoToEpsilon(rho, 1e-5)).toBeCloseTo(simple, 5);
      expect(rhoToEpsilon(rho, 1e-5)).toBeCloseTo(tight, 5);
      expect(rhoToEpsilon(rho, 1e-5)).toBeLessThanOrEqual(simpleRhoToEpsilon(rho, 1e-5));
      // The returned ε is valid: its δ does not exceed the target.
      expect(rhoToDelta(rho, rhoToEpsilon(rho, 1e-5))).toBeLessThanOrEqual(1e-5);
    });
  }

  it('ε(ρ, δ) increases with ρ and decreases with δ; δ(ρ, ε) decreases with ε', () => {
    let prev = 0;
    for (const rho of [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2, 5]) {
      const e = rhoToEpsilon(rho, 1e-6);
      expect(e).toBeGreaterThan(prev);
      prev = e;
    }
    prev = Infinity;
    for (const delta of [1e-12, 1e-9, 1e-6, 1e-3, 0.1]) {
      const e = rhoToEpsilon(0.3, delta);
      expect(e).toBeLessThan(prev);
      prev = e;
    }
    prev = 1;
    for (const eps of [0.1, 0.5, 1, 2, 4]) {
      const d = rhoToDelta(0.2, eps);
      expect(d).toBeLessThanOrEqual(prev);
      prev = d;
    }
  });

  it('pure ε enters as ε²/2; ρ = 0 costs nothing', () => {
    expect(pureEpsilonToRho(1)).toBe(0.5);
    expect(pureEpsilonToRho(0.2)).toBeCloseTo(0.02, 15);
    expect(rhoToEpsilon(0, 1e-5)).toBe(0);
    expect(rhoToDelta(0, 1)).toBe(0);
  });

  it('rhoForEpsilonDelta inverts rhoToEpsilon without exceeding ε', () => {
    for (const [eps, delta] of [
      [1.914239, 1e-5],
      [1, 1e-6],
      [0.1, 1e-9],
      [5, 1e-3],
    ] as const) {
      const rho = rhoForEpsilonDelta(eps, delta);
      expect(rhoToEpsilon(rho, delta)).toBeLessThanOrEqual(eps * (1 + 1e-9));
      expect(rhoToDelta(rho, eps)).toBeLessThanOrEqual(delta);
      expect(rhoToEpsilon(rho * 1.001, delta)).toBeGreaterThan(eps * 0.9999);
    }
    expect(rhoForEpsilonDelta(1.914239, 1e-5)).toBeCloseTo(0.1, 5);
  });

  it('rejects δ outside (0, 1)', () => {
    expect(() => rhoToEpsilon(0.1, 0)).toThrow(DpParameterError);
    expect(() => rhoToEpsilon(0.1, 1)).toThrow(DpParameterError);
  });
});

describe('accountants', () => {
  it('NaiveAccountant adds ε and δ', () => {
    const acc = new NaiveAccountant().spend({ epsilon: 0.5 }, 'a').spend({ epsilon: 0.25, delta: 1e-6 }, 'b');
    expect(acc.total()).toEqual({ epsilon: 0.75, delta: 1e-6 });
    expect(acc.entries().map((e) => e.label)).toEqual(['a', 'b']);
  });

  it('ZcdpAccountant adds ρ (pure ε as ε²/2) and converts with the tight bound', () => {
    const acc = new ZcdpAccountant().spend({ rho: 0.05 }).spend({ epsilon: 0.5 });
    expect(acc.total().rho).toBeCloseTo(0.175, 15);
    expect(acc.epsilon(1e-5)).toBe(rhoToEpsilon(0.175, 1e-5));
    // 100 Gaussian releases of ρ = 0.001 each: far below what naive composition of their (ε, δ) would give.
    const g = new ZcdpAccountant();
    const n = new NaiveAccountant();
    for (let i = 0; i < 100; i++) {
      g.spend({ rho: 0.001 });
      n.spend({ epsilon: rhoToEpsilon(0.001, 1e-7), delta: 1e-7 });
    }
    expect(g.epsilon(1e-5)).toBeLessThan(n.total().epsilon / 3);
  });

  it('rejects a negative ρ or a non-positive ε', () => {
    expect(() => new ZcdpAccountant().spend({ rho: -1 })).toThrow(DpParameterError);
    expect(() => new NaiveAccountant().spend({ epsilon: 0 })).toThrow(DpParameterError);
  });
});

describe('splitBudget', () => {
  const exactSum = (xs: number[]): bigint[] => {
    // Σ xs as an exact rational over 2^1100 (enough for any double >= 2^-1074), compared to the total likewise.
    let num = 0n;
    for (const x of xs) {
      const r = rationalFromNumber(x);
      num += r.num * ((1n << 1100n) / r.den);
    }
    return [num];
  };
  const asScaled = (x: number): bigint => {
    const r = rationalFromNumber(x);
    return r.num * ((1n << 1100n) / r.den);
  };

  it('splits by weights', () => {
    expect(splitBudget(1, { a: 2, b: 1, c: 1 })).toEqual({ a: 0.5, b: 0.25, c: 0.25 });
    const pair = splitBudget({ epsilon: 1, delta: 1e-5 }, { a: 1, b: 3 });
    expect(pair.a!.epsilon).toBe(0.25);
    expect(pair.b!.delta).toBeCloseTo(7.5e-6, 18);
  });

  it('never sums to more than the total, exactly, over many awkward splits', () => {
    const weightSets: Record<string, number>[] = [
      { a: 1, b: 1, c: 1 },
      { a: 0.1, b: 0.2, c: 0.7 },
      { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 },
      { x: 1 / 3, y: Math.PI, z: Math.E },
    ];
    let checked = 0;
    for (const total of [1, 0.1, 0.3, 1.1, 2 / 3, 7.77, 1e-5, 3e-7]) {
      for (const w of weightSets) {
        const parts = Object.values(splitBudget(total, w));
        expect(exactSum(parts)[0]! <= asScaled(total)).toBe(true);
        // And is not wastefully small: within 1e-12 relative.
        expect(parts.reduce((s, x) => s + x, 0)).toBeGreaterThan(total * (1 - 1e-12));
        checked += 1;
      }
    }
    expect(checked).toBe(32);
  });

  it('rejects empty or non-positive weights', () => {
    expect(() => splitBudget(1, {})).toThrow(DpParameterError);
    expect(() => splitBudget(1, { a: 0 })).toThrow(DpParameterError);
  });
});
