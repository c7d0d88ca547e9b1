import { describe, expect, it } from 'vitest';
import {
  DpParameterError,
  type Rational,
  rationalFromNumber,
  sampleDiscreteLaplace,
  seededRandom,
} from '../../src/dp/index.js';
import { scripted } from './helpers.js';
import { chiSquareGoodnessOfFit } from './stats.js';

/** Every goodness-of-fit test below fails at p < 1e-6: a correct sampler fails with probability 1e-6 per seed. */
const ALPHA = 1e-6;
const DRAWS = 200_000;

/** Cells (−∞, −K−1], −K, …, K, [K+1, ∞) with their discrete Laplace(scale) probabilities. */
function discreteLaplaceCells(scale: number, k: number): number[] {
  const a = Math.exp(-1 / scale);
  const p0 = -Math.expm1(-1 / scale) / (1 + a); // (1 − a)/(1 + a)
  const tail = Math.exp(-(k + 1) / scale) / (1 + a); // P(X ≥ k + 1) = a^(k+1)/(1 + a)
  const cells = [tail];
  for (let z = -k; z <= k; z++) cells.push(p0 * Math.exp(-Math.abs(z) / scale));
  cells.push(tail);
  return cells;
}

function drawDiscreteLaplace(scale: Rational, k: number, seed: string): number[] {
  const rng = seededRandom(seed);
  const observed = new Array<number>(2 * k + 3).fill(0);
  const kn = BigInt(k);
  for (let i = 0; i < DRAWS; i++) {
    const z = sampleDiscreteLaplace(scale, rng);
    const cell = z < -kn ? 0 : z > kn ? 2 * k + 2 : Number(z) + k + 1;
    observed[cell]! += 1;
  }
  return observed;
}

function fitDiscreteLaplace(sampleScale: number, testedScale: number, seed: string) {
  const k = Math.ceil(30 * Math.max(sampleScale, testedScale)) + 5;
  const observed = drawDiscreteLaplace(rationalFromNumber(sampleScale), k, seed);
  return chiSquareGoodnessOfFit(observed, discreteLaplaceCells(testedScale, k));
}

describe('sampleDiscreteLaplace', () => {
  for (const scale of [0.5, 1, 7.3, 100]) {
    it(`fits the exact discrete Laplace PMF at scale ${scale} (χ², ${DRAWS} draws)`, () => {
      const fit = fitDiscreteLaplace(scale, scale, `dl-fit-${scale}`);
      expect(fit.bins).toBeGreaterThan(4);
      expect(fit.pValue).toBeGreaterThan(ALPHA);
    });
  }

  it('the χ² check rejects samples drawn at 1.25× the tested scale (negative control: the test has power)', () => {
    // A correct test would accept here with probability < 1e-6 only if the scales matched; they do not.
    const fit = fitDiscreteLaplace(1.25, 1, 'dl-negative-control');
    expect(fit.pValue).toBeLessThan(ALPHA);
  });

  it('also rejects samples drawn at 0.9× the tested scale at 100 (power at a large scale)', () => {
    const fit = fitDiscreteLaplace(90, 100, 'dl-negative-control-100');
    expect(fit.pValue).toBeLessThan(ALPHA);
  });

  it('is symmetric: mean within 5 SE of 0 at scale 10 (false failure ≈ 6e-7)', () => {
    const rng = seededRandom('dl-mean');
    const scale = rationalFromNumber(10);
    let sum = 0;
    for (let i = 0; i < DRAWS; i++) sum += Number(sampleDiscreteLaplace(scale, rng));
    const a = Math.exp(-0.1);
    const variance = (2 * a) / (1 - a) ** 2; // discrete Laplace variance
    expect(Math.abs(sum / DRAWS)).toBeLessThan(5 * Math.sqrt(variance / DRAWS));
  });

  it('returns 0 for scale 0 without drawing', () => {
    expect(sampleDiscreteLaplace({ num: 0n, den: 1n }, scripted([]))).toBe(0n);
  });

  it('rejects (negative, 0) so that zero is not counted twice (scripted draws)', () => {
    // scale 1 = t/s with t = s = 1. First round: sign 0 (negative), U = 0 accepted, V = 0 → (−, 0): rejected.
    // Second round: sign 1 (positive), U = 0 accepted, V = 0 → 0.
    const round = (sign: bigint): [bigint, bigint][] => [
      [2n, sign],
      [1n, 0n], // U = uniform{0..t−1}
      [1n, 0n], // Bernoulli(exp(−0/1)): Bernoulli(0/1) = 0 at k = 1 → accept
      [1n, 0n], // V loop, Bernoulli(exp(−1)): Bernoulli(1/1) succeeds at k = 1
      [2n, 1n], // Bernoulli(1/2) fails at k = 2 → even → V stops at 0
    ];
    const rng = scripted([...round(0n), ...round(1n)]);
    expect(sampleDiscreteLaplace({ num: 1n, den: 1n }, rng)).toBe(0n);
    expect(rng.remaining).toBe(0);
  });

  it('rejects a negative scale', () => {
    expect(() => sampleDiscreteLaplace({ num: -1n, den: 1n }, seededRandom('x'))).toThrow(DpParameterError);
  });
});
