import { describe, expect, it } from 'vitest';
import {
  discreteGaussianHalfWidth,
  discreteGaussianSigma2ForRho,
  DpParameterError,
  type Rational,
  rationalToNumber,
  sampleDiscreteGaussian,
  seededRandom,
} from '../../src/dp/index.js';
import { chiSquareGoodnessOfFit } from './stats.js';

/** Every goodness-of-fit test fails at p < 1e-6: false-failure rate 1e-6 per test (fixed seeds). */
const ALPHA = 1e-6;
const DRAWS = 1_000_000;

/** Exact normalized PMF over cells (−∞, −K−1], −K..K, [K+1, ∞). */
function gaussianCells(sigma2: number, k: number): number[] {
  const m = Math.ceil(40 * Math.sqrt(sigma2)) + 10;
  let z = 0;
  for (let x = -m; x <= m; x++) z += Math.exp(-(x * x) / (2 * sigma2));
  let tail = 0;
  for (let x = k + 1; x <= m; x++) tail += Math.exp(-(x * x) / (2 * sigma2)) / z;
  const cells = [tail];
  for (let x = -k; x <= k; x++) cells.push(Math.exp(-(x * x) / (2 * sigma2)) / z);
  cells.push(tail);
  return cells;
}

function fit(sampleSigma2: Rational, testedSigma2: number, seed: string, draws = DRAWS) {
  const k = Math.ceil(8 * Math.sqrt(Math.max(rationalToNumber(sampleSigma2), testedSigma2))) + 2;
  const rng = seededRandom(seed);
  const observed = new Array<number>(2 * k + 3).fill(0);
  const kn = BigInt(k);
  const start = performance.now();
  for (let i = 0; i < draws; i++) {
    const z = sampleDiscreteGaussian(sampleSigma2, rng);
    observed[z < -kn ? 0 : z > kn ? 2 * k + 2 : Number(z) + k + 1]! += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    ...chiSquareGoodnessOfFit(observed, gaussianCells(testedSigma2, k)),
    drawsPerSecond: draws / seconds,
  };
}

describe('sampleDiscreteGaussian (χ² vs exact PMF, 10⁶ draws each, false failure 1e-6 per test)', () => {
  const cases: [string, Rational][] = [
    ['1', { num: 1n, den: 1n }],
    ['10/3', { num: 10n, den: 3n }],
    ['400', { num: 400n, den: 1n }],
  ];
  for (const [label, sigma2] of cases) {
    it(`fits the exact PMF at σ² = ${label}`, () => {
      const r = fit(sigma2, rationalToNumber(sigma2), `dg-fit-${label}`);
      console.log(
        `discrete Gaussian σ²=${label}: ${Math.round(r.drawsPerSecond)} draws/s, χ²=${r.statistic.toFixed(1)}, df=${r.df}, p=${r.pValue.toFixed(3)}`,
      );
      expect(r.bins).toBeGreaterThan(4);
      expect(r.pValue).toBeGreaterThan(ALPHA);
    });
  }

  it('rejects samples drawn at σ² = 1.1 against σ² = 1 (negative control: the test has power)', () => {
    const r = fit({ num: 11n, den: 10n }, 1, 'dg-negative', 300_000);
    expect(r.pValue).toBeLessThan(ALPHA);
  });

  it('returns 0 for σ² = 0 and rejects a negative σ²', () => {
    expect(sampleDiscreteGaussian({ num: 0n, den: 1n }, seededRandom('x'))).toBe(0n);
    expect(() => sampleDiscreteGaussian({ num: -1n, den: 1n }, seededRandom('x'))).toThrow(DpParameterError);
  });
});

describe('discreteGaussianHalfWidth', () => {
  /** Brute force: smallest k with the normalized PMF mass of [−k, k] ≥ c. */
  function bruteForce(sigma2: number, c: number): number {
    const cells = gaussianCells(sigma2, Math.ceil(40 * Math.sqrt(sigma2)) + 5);
    const mid = (cells.length - 1) / 2;
    let mass = cells[mid]!;
    let k = 0;
    while (mass < c) {
      k += 1;
      mass += cells[mid - k]! + cells[mid + k]!;
    }
    return k;
  }

  it('matches a brute-force sum of the exact PMF', () => {
    for (const s2 of [0.25, 1, 2.5, 10, 100, 12345]) {
      for (const c of [0.5, 0.9, 0.95, 0.99]) {
        const r: Rational = { num: BigInt(Math.round(s2 * 4)), den: 4n };
        expect(discreteGaussianHalfWidth(r, c)).toBe(BigInt(bruteForce(s2, c)));
      }
    }
  });

  it('gives known values: σ² = 1 → 2 at 95%; σ = 5000 → ⌈1.96σ⌉ or one more (normal regime)', () => {
    expect(discreteGaussianHalfWidth({ num: 1n, den: 1n })).toBe(2n);
    const k = Number(discreteGaussianHalfWidth({ num: 25_000_000n, den: 1n }));
    expect(k).toBeGreaterThanOrEqual(9799);
    expect(k).toBeLessThanOrEqual(9800);
  });

  it('agrees across the switch from exact sum to normal mass (σ just below/above 2000)', () => {
    const below = Number(discreteGaussianHalfWidth({ num: 1999n ** 2n, den: 1n }));
    const above = Number(discreteGaussianHalfWidth({ num: 2001n ** 2n, den: 1n }));
    expect(above - below).toBeGreaterThanOrEqual(3);
    expect(above - below).toBeLessThanOrEqual(5);
  });
});

describe('discreteGaussianSigma2ForRho', () => {
  it('is Δ₂²/(2ρ) for exact inputs', () => {
    expect(discreteGaussianSigma2ForRho(1, 0.5)).toEqual({ num: 1n, den: 1n });
    expect(rationalToNumber(discreteGaussianSigma2ForRho(2, 0.1))).toBeCloseTo(20, 8);
    expect(rationalToNumber(discreteGaussianSigma2ForRho(2, 0.125))).toBe(16);
  });

  it('never gives a weaker guarantee: Δ₂²/(2σ²) <= ρ even for Δ₂ = √3 (rounded by Math.sqrt)', () => {
    for (const rho of [0.01, 0.1, 0.3333, 1.7]) {
      const s2 = discreteGaussianSigma2ForRho(Math.sqrt(3), rho);
      // 3/(2σ²) <= ρ ⇔ 3·den <= 2ρ·num: exact, with ρ's double value as a rational (ρ·2^60 is an integer here).
      const rhoScaled = BigInt(rho * 2 ** 60);
      expect(3n * s2.den * 2n ** 60n <= 2n * rhoScaled * s2.num).toBe(true);
    }
  });

  it('rejects a non-positive ρ', () => {
    expect(() => discreteGaussianSigma2ForRho(1, 0)).toThrow(DpParameterError);
  });
});
