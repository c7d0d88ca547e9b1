import type { ValueGrid } from './value-grid.js';

/**
 * Post-processing shared by the statistics built from noisy integer parts: turning a noisy count,
 * normalized sum and normalized sum of squares into a mean, variance or sum, and the conservative
 * (union-bound) interval over a box of noisy parts. Floating point is fine here: the inputs are
 * already DP integers.
 */

/** A noisy integer part and the half-width of its interval. */
export interface NoisyPart {
  readonly value: number;
  readonly halfWidth: number;
}

function range(p: NoisyPart): [number, number] {
  return [p.value - p.halfWidth, p.value + p.halfWidth];
}

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));

/** Mean of normalized values in half-units, V / max(1, n), kept within ±R. */
function meanHalfUnits(v: number, n: number, r: number): number {
  return clamp(v / Math.max(1, n), -r, r);
}

/** The MEAN in value units from noisy count n and normalized sum V (PipelineDP MeanMechanism, clamped as Google's BoundedMean). */
export function estimateMean(
  grid: ValueGrid,
  n: NoisyPart,
  v: NoisyPart,
): { value: number; ci95: [number, number] } {
  const r = Number(grid.hiUnits - grid.loUnits);
  const mid2 = Number(grid.loUnits + grid.hiUnits);
  const toValue = (mv: number): number => clamp((grid.granularity * (mid2 + mv)) / 2, grid.lo, grid.hi);
  const corners: number[] = [];
  for (const c of range(n)) for (const s of range(v)) corners.push(meanHalfUnits(s, c, r));
  return {
    value: toValue(meanHalfUnits(v.value, n.value, r)),
    ci95: [toValue(Math.min(...corners)), toValue(Math.max(...corners))],
  };
}

/**
 * The VARIANCE in value units from noisy n, normalized sum V and centred normalized sum of
 * squares W = Σ(2v² − R²): E[v²] = (W/n + R²)/2, Var = E[v²] − (V/n)², scaled by (g/2)² and kept
 * in [0, ((hi − lo)/2)²] (PipelineDP `compute_dp_var`, on the grid).
 */
export function estimateVariance(
  grid: ValueGrid,
  n: NoisyPart,
  v: NoisyPart,
  w: NoisyPart,
): { value: number; ci95: [number, number] } {
  const r = Number(grid.hiUnits - grid.loUnits);
  const r2 = r * r;
  const unit2 = (grid.granularity / 2) ** 2;
  const meanSq = (ws: number, c: number): number => clamp((ws / Math.max(1, c) + r2) / 2, 0, r2);
  const variance = (vs: number, ws: number, c: number): number =>
    clamp(meanSq(ws, c) - meanHalfUnits(vs, c, r) ** 2, 0, r2);
  const means: number[] = [];
  const squares: number[] = [];
  for (const c of range(n)) {
    for (const s of range(v)) means.push(meanHalfUnits(s, c, r));
    for (const s of range(w)) squares.push(meanSq(s, c));
  }
  const mLo = Math.min(...means);
  const mHi = Math.max(...means);
  const minMeanSquare = mLo <= 0 && mHi >= 0 ? 0 : Math.min(mLo * mLo, mHi * mHi);
  const lower = clamp(Math.min(...squares) - Math.max(mLo * mLo, mHi * mHi), 0, r2);
  const upper = clamp(Math.max(...squares) - minMeanSquare, 0, r2);
  return { value: variance(v.value, w.value, n.value) * unit2, ci95: [lower * unit2, upper * unit2] };
}

/** The SUM in value units derived from noisy n and V: g·(mid2·n + V)/2 (linear, so its interval's extremes are corners). */
export function estimateSumFromMean(
  grid: ValueGrid,
  n: NoisyPart,
  v: NoisyPart,
): { value: number; ci95: [number, number] } {
  const mid2 = Number(grid.loUnits + grid.hiUnits);
  const sum = (c: number, s: number): number => (grid.granularity * (mid2 * c + s)) / 2;
  const corners: number[] = [];
  for (const c of range(n)) for (const s of range(v)) corners.push(sum(c, s));
  return { value: sum(n.value, v.value), ci95: [Math.min(...corners), Math.max(...corners)] };
}
