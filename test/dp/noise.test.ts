import { describe, expect, it } from 'vitest';
import {
  countMechanism,
  DpParameterError,
  meanMechanism,
  rationalToNumber,
  rhoToEpsilon,
} from '../../src/dp/index.js';
import { calibrateParts, noiseExpectedAbs, noiseStddev } from '../../src/dp/noise.js';
import { ONE } from './helpers.js';

// Deterministic calibration checks: false-failure rate 0.
describe('noise kinds', () => {
  it('Gaussian COUNT: ρ with rhoToEpsilon(ρ, δ) <= ε and σ² = L0·Linf²/(2ρ)', () => {
    const m = countMechanism(
      1,
      { maxPartitionsContributed: 4, maxContributionsPerPartition: 3 },
      { noise: 'gaussian', delta: 1e-6 },
    );
    expect(m.noise.kind).toBe('gaussian');
    expect(m.delta).toBe(1e-6);
    expect(rhoToEpsilon(m.rho, 1e-6)).toBeLessThanOrEqual(1 + 1e-9);
    if (m.noise.kind !== 'gaussian') throw new Error('unreachable');
    expect(m.noise.l2SensitivitySquared).toBe(36n);
    const s2 = rationalToNumber(m.noise.sigma2);
    expect(s2).toBeGreaterThanOrEqual(36 / (2 * m.rho));
    expect(s2).toBeLessThan((36 / (2 * m.rho)) * (1 + 1e-9));
    // The 95% half-width of a near-normal: ≈ 1.96σ.
    expect(m.halfWidth95 / Math.sqrt(s2)).toBeGreaterThan(1.9);
    expect(m.halfWidth95 / Math.sqrt(s2)).toBeLessThan(2.1);
  });

  it('Laplace stays the default and spends δ = 0 and ρ = ε²/2 in zCDP terms', () => {
    const m = countMechanism(0.5, ONE);
    expect(m.noise.kind).toBe('laplace');
    expect(m.delta).toBe(0);
    expect(m.rho).toBe(0.125);
  });

  it('Gaussian without δ is a clear user error', () => {
    expect(() => countMechanism(1, ONE, { noise: 'gaussian' })).toThrow(/needs delta > 0/);
    expect(() => meanMechanism(1, ONE, 0, 10, { noise: 'gaussian', delta: 2 })).toThrow(DpParameterError);
  });

  it('Gaussian MEAN splits ρ equally between count and normalized sum', () => {
    const m = meanMechanism(1, ONE, 0, 100, { noise: 'gaussian', delta: 1e-5 });
    if (m.countNoise.kind !== 'gaussian' || m.sumNoise.kind !== 'gaussian')
      throw new Error('expected Gaussian parts');
    expect(m.countNoise.rho + m.sumNoise.rho).toBeLessThanOrEqual(m.rho);
    expect(m.countNoise.rho).toBeCloseTo(m.rho / 2, 12);
  });

  it('parts never spend more than the budget (Laplace ε split by weights)', () => {
    const { noises } = calibrateParts({ epsilon: 1 }, [
      { name: 'a', l1Sensitivity: 1n, l2SensitivitySquared: 1n, weight: 1 },
      { name: 'b', l1Sensitivity: 1n, l2SensitivitySquared: 1n, weight: 2 },
    ]);
    const eps = Object.values(noises).map((n) => (n.kind === 'laplace' ? n.epsilon : NaN));
    expect(eps[0]! + eps[1]!).toBeLessThanOrEqual(1);
    expect(eps[1]! / eps[0]!).toBeCloseTo(2, 12);
  });

  it('expected |noise| and stddev have their closed forms', () => {
    const lap = countMechanism(1, ONE).noise; // scale 1, a = e^-1
    const a = Math.exp(-1);
    expect(noiseExpectedAbs(lap)).toBeCloseTo((2 * a) / (1 - a * a), 12);
    expect(noiseStddev(lap)).toBeCloseTo(Math.sqrt((2 * a) / (1 - a) ** 2), 12);
    const g = countMechanism(0.1, ONE, { noise: 'gaussian', delta: 1e-9 }).noise;
    if (g.kind !== 'gaussian') throw new Error('expected Gaussian');
    const sigma = Math.sqrt(rationalToNumber(g.sigma2));
    // |x| is not smooth at 0, so the lattice sum differs from the continuous σ√(2/π) by O(1/σ²).
    expect(noiseExpectedAbs(g) / (sigma * Math.sqrt(2 / Math.PI))).toBeCloseTo(1, 3);
  });
});
