import { describe, expect, it } from 'vitest';
import { noiseHalfWidth, noiseStddev, seededRandom, simulationNoise } from '../../src/dp/index.js';
import { gaussianNoise, laplaceNoise } from '../../src/dp/noise.js';

const N = 200_000;

/** Mean, variance and the share inside the exact 95% half-width of `N` simulated draws. */
function summary(draw: () => number, halfWidth: number): { mean: number; variance: number; inside: number } {
  let sum = 0;
  let sq = 0;
  let inside = 0;
  for (let i = 0; i < N; i++) {
    const x = draw();
    if (!Number.isInteger(x)) throw new Error(`not an integer: ${x}`);
    sum += x;
    sq += x * x;
    if (Math.abs(x) <= halfWidth) inside++;
  }
  const mean = sum / N;
  return { mean, variance: sq / N - mean * mean, inside: inside / N };
}

describe('simulationNoise (seeded; 200,000 draws; bounds at ≥ 5 SE: false failure < 1e-6 each)', () => {
  for (const [name, noise] of [
    ['discrete Laplace, scale 2', laplaceNoise(1n, 0.5)],
    ['discrete Laplace, scale 40', laplaceNoise(4n, 0.1)],
    ['discrete Gaussian, σ² = 2', gaussianNoise(1n, 0.25)],
    ['discrete Gaussian, σ² = 5000', gaussianNoise(100n, 0.01)],
  ] as const) {
    it(`matches the exact distribution's mean 0, variance and 95% half-width (${name})`, () => {
      const sd = noiseStddev(noise);
      const h = noiseHalfWidth(noise);
      const s = summary(simulationNoise(noise, seededRandom(`sim-${name}`)), h);
      expect(Math.abs(s.mean)).toBeLessThan((5 * sd) / Math.sqrt(N));
      // Var of the sample variance ≤ E[X⁴]/N ≤ 9σ⁴/N for these tails (Laplace kurtosis 6).
      expect(Math.abs(s.variance - sd * sd)).toBeLessThan((5 * 3 * sd * sd) / Math.sqrt(N));
      // The exact P(|X| ≤ h) is in [0.95, 0.95 + P(|X| = h)]: the share lands there up to 5 SE.
      expect(s.inside).toBeGreaterThan(0.95 - 5 * Math.sqrt((0.95 * 0.05) / N));
      expect(s.inside).toBeLessThan(0.995);
    });
  }

  it('is reproducible from a seeded source and differs between seeds', () => {
    const noise = laplaceNoise(1n, 1);
    const draws = (seed: string): number[] => {
      const d = simulationNoise(noise, seededRandom(seed));
      return Array.from({ length: 50 }, d);
    };
    expect(draws('a')).toEqual(draws('a'));
    expect(draws('a')).not.toEqual(draws('b'));
  });

  it('gives 0 for zero noise', () => {
    expect(simulationNoise(laplaceNoise(0n, 1), seededRandom('z'))()).toBe(0);
    expect(simulationNoise(gaussianNoise(0n, 1), seededRandom('z'))()).toBe(0);
  });
});
