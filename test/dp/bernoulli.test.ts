import { describe, expect, it } from 'vitest';
import {
  DpParameterError,
  rationalFromNumber,
  sampleBernoulliExp,
  sampleBernoulliRational,
  seededRandom,
} from '../../src/dp/index.js';
import { scripted } from './helpers.js';

/** Frequency checks allow 5 binomial SE either side: false failure ≈ 6e-7 each. */
const DRAWS = 200_000;

describe('sampleBernoulliExp', () => {
  for (const gamma of [0, 0.3, 1, 2.5]) {
    it(`is true with frequency exp(−${gamma}) within 5 SE over ${DRAWS} draws (false failure ≈ 6e-7)`, () => {
      const rng = seededRandom(`bexp-${gamma}`);
      const g = rationalFromNumber(gamma);
      let hits = 0;
      for (let i = 0; i < DRAWS; i++) if (sampleBernoulliExp(g, rng)) hits += 1;
      const p = Math.exp(-gamma);
      if (p === 1) expect(hits).toBe(DRAWS);
      else expect(Math.abs(hits / DRAWS - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / DRAWS));
    });
  }

  it('follows CKS 2020 Alg. 1 on a scripted stream: first failure at even k gives false', () => {
    // gamma = 1/2: Bernoulli(1/2) succeeds (0 < 1), Bernoulli(1/4) fails (3 ≥ 1) → k = 2 → false.
    const rng = scripted([
      [2n, 0n],
      [4n, 3n],
    ]);
    expect(sampleBernoulliExp({ num: 1n, den: 2n }, rng)).toBe(false);
    // gamma = 3/2: first peel off exp(−1) (Bernoulli(1/1) succeeds, Bernoulli(1/2) fails → k = 2 → false).
    expect(
      sampleBernoulliExp(
        { num: 3n, den: 2n },
        scripted([
          [1n, 0n],
          [2n, 1n],
        ]),
      ),
    ).toBe(false);
  });

  it('rejects a negative gamma', () => {
    expect(() => sampleBernoulliExp({ num: -1n, den: 2n }, seededRandom('x'))).toThrow(DpParameterError);
  });
});

describe('sampleBernoulliRational', () => {
  it('is true with frequency 1/3 within 5 SE (false failure ≈ 6e-7)', () => {
    const rng = seededRandom('bern-1/3');
    let hits = 0;
    for (let i = 0; i < DRAWS; i++) if (sampleBernoulliRational({ num: 1n, den: 3n }, rng)) hits += 1;
    expect(Math.abs(hits / DRAWS - 1 / 3)).toBeLessThan(5 * Math.sqrt(2 / 9 / DRAWS));
  });

  it('compares one uniform draw below the denominator with the numerator', () => {
    expect(sampleBernoulliRational({ num: 2n, den: 5n }, scripted([[5n, 1n]]))).toBe(true);
    expect(sampleBernoulliRational({ num: 2n, den: 5n }, scripted([[5n, 2n]]))).toBe(false);
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() => sampleBernoulliRational({ num: 3n, den: 2n }, seededRandom('x'))).toThrow(DpParameterError);
    expect(() => sampleBernoulliRational({ num: -1n, den: 2n }, seededRandom('x'))).toThrow(DpParameterError);
  });
});
