import { checkBounds, type ContributionBounds, rowSensitivity } from './contribution-bounds.js';
import { EXACT_INTERVAL, reportedScale } from './count-mechanism.js';
import { DpParameterError } from './errors.js';
import {
  calibrateParts,
  type Noise,
  noiseHalfWidth,
  sampleNoise,
  type ValueStatisticParams,
} from './noise.js';
import type { RandomSource } from './random-source.js';
import type { Rational } from './rational.js';
import { type ValueGrid, valueGrid } from './value-grid.js';

/**
 * A per-partition SUM of values clamped to [lo, hi] and rounded to the power-of-two grid
 * (see {@link ValueGrid}); the aggregate is Σ quantize(x) in grid units, an integer, and the
 * noise is exact integer noise in the same units.
 */
export interface SumMechanism extends ValueGrid {
  readonly kind: 'sum';
  readonly epsilon: number;
  readonly delta: number;
  readonly rho: number;
  readonly bounds: ContributionBounds;
  /** L1 sensitivity in grid units: L0·Linf·max(|loUnits|, |hiUnits|). */
  readonly l1Sensitivity: bigint;
  readonly noise: Noise;
  /** Laplace scale or Gaussian σ, in grid units (for reports; multiply by granularity for value units). */
  readonly scale: Rational;
  /** 95% half-width in VALUE units (granularity × the exact noise half-width). */
  readonly halfWidth95: number;
}

/**
 * Calibrates a SUM: Δ₁ = L0·Linf·max(|lo|, |hi|) and Δ₂² = L0·(Linf·max(|lo|, |hi|))², on the
 * grid (PipelineDP `dp_computations` SUM sensitivities with per-contribution clamping).
 *
 * @example
 * ```ts
 * const m = sumMechanism({ epsilon: 1, bounds: { maxPartitionsContributed: 1, maxContributionsPerPartition: 5 }, lo: 0, hi: 100 });
 * const agg = { sum: [12, 40, 7].reduce((s, x) => s + quantize(m, x), 0n) };
 * releaseSum(m, agg, secureRandom()); // { value: ≈59 ± a few hundred, ci95, intervalMethod }
 * ```
 */
export function sumMechanism(params: ValueStatisticParams): SumMechanism {
  const b = checkBounds(params.bounds);
  const grid = valueGrid(params.lo, params.hi);
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  const maxAbs = abs(grid.loUnits) > abs(grid.hiUnits) ? abs(grid.loUnits) : abs(grid.hiUnits);
  const rows = rowSensitivity(b);
  const l1Sensitivity = rows.l1 * maxAbs;
  const { budget, noises } = calibrateParts(params, [
    { name: 'sum', l1Sensitivity, l2SensitivitySquared: rows.l2Squared * maxAbs * maxAbs },
  ]);
  const noise = noises['sum']!;
  return Object.freeze({
    kind: 'sum',
    epsilon: budget.epsilon,
    delta: budget.delta,
    rho: budget.rho,
    bounds: b,
    ...grid,
    l1Sensitivity,
    noise,
    scale: reportedScale(noise),
    halfWidth95: noiseHalfWidth(noise, 0.95) * grid.granularity,
  });
}

/**
 * Releases one partition's SUM from Σ quantize(x) (grid units) over its bounded rows:
 * g·(sum + noise), with `ci95` = value ± halfWidth95 from the exact noise distribution.
 */
export function releaseSum(
  m: SumMechanism,
  agg: { readonly sum: bigint },
  rng: RandomSource,
): { value: number; ci95: [number, number]; intervalMethod: string } {
  if (typeof agg.sum !== 'bigint') throw new DpParameterError(`sum must be a bigint, got ${String(agg.sum)}`);
  const value = Number(agg.sum + sampleNoise(m.noise, rng)) * m.granularity;
  return { value, ci95: [value - m.halfWidth95, value + m.halfWidth95], intervalMethod: EXACT_INTERVAL };
}
