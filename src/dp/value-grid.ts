import { checkFinite, DpParameterError } from './errors.js';
import { chooseGranularity } from './granularity.js';
import { rationalFromNumber } from './rational.js';

/**
 * The power-of-two grid real values are rounded to before any noise is added (so every noisy
 * quantity is an integer and all noise is exact integer noise; Mironov 2012). Values are clamped
 * to [lo, hi] and rounded to the nearest multiple of `granularity`.
 */
export interface ValueGrid {
  readonly lo: number;
  readonly hi: number;
  /** Grid step g, a power of two: {@link chooseGranularity}(lo, hi). */
  readonly granularity: number;
  /** ceil(lo/g): the lowest grid point in [lo, hi], in units of g. */
  readonly loUnits: bigint;
  /** floor(hi/g): the highest grid point in [lo, hi], in units of g. */
  readonly hiUnits: bigint;
}

/**
 * The grid for values clamped to [lo, hi].
 *
 * @example
 * ```ts
 * valueGrid(0, 600_000); // { lo: 0, hi: 600000, granularity: 0.5, loUnits: 0n, hiUnits: 1200000n }
 * ```
 */
export function valueGrid(lo: number, hi: number): ValueGrid {
  checkFinite(lo, 'lo');
  checkFinite(hi, 'hi');
  if (!(lo < hi)) throw new DpParameterError(`lo must be < hi, got lo = ${lo}, hi = ${hi}`);
  const granularity = chooseGranularity(lo, hi);
  const g = rationalFromNumber(granularity);
  const loR = rationalFromNumber(lo);
  const hiR = rationalFromNumber(hi);
  // lo/g and hi/g exactly: (num/den)/(gnum/gden) = num·gden / (den·gnum).
  return Object.freeze({
    lo,
    hi,
    granularity,
    loUnits: ceilDiv(loR.num * g.den, loR.den * g.num),
    hiUnits: floorDiv(hiR.num * g.den, hiR.den * g.num),
  });
}

/**
 * The grid point of a value, in units of g: round(clamp(x, lo, hi)/g), half-way cases up, kept in
 * [loUnits, hiUnits]. Computed as ⌊clamp(x)/g + 1/2⌋ in doubles, the very operations the SQL engine
 * performs, so both agree bit for bit (x/g is exact: g is a power of two).
 *
 * @example
 * ```ts
 * const grid = valueGrid(0, 600_000);
 * quantize(grid, 12.3);      // 25n (12.5 = 25 · 0.5 is the nearest grid point)
 * quantize(grid, 1_000_000); // 1_200_000n (clamped to hi)
 * ```
 */
export function quantize(m: ValueGrid, x: number): bigint {
  if (typeof x !== 'number' || Number.isNaN(x)) {
    throw new DpParameterError(`value to quantize must be a number, got ${String(x)}`);
  }
  const clamped = Math.max(m.lo, Math.min(m.hi, x));
  const q = BigInt(Math.floor(clamped / m.granularity + 0.5));
  return q < m.loUnits ? m.loUnits : q > m.hiUnits ? m.hiUnits : q;
}

/**
 * A contribution's normalized value in half-units: 2·q(x) − (loUnits + hiUnits), an integer with
 * absolute value at most hiUnits − loUnits (values centred on the midpoint, PipelineDP style).
 *
 * @example
 * ```ts
 * const grid = valueGrid(0, 600_000);
 * normalizedValue(grid, 0);       // -1_200_000n
 * normalizedValue(grid, 300_000); // 0n
 * ```
 */
export function normalizedValue(m: ValueGrid, x: number): bigint {
  return 2n * quantize(m, x) - (m.loUnits + m.hiUnits);
}

/**
 * A contribution's centred normalized square, for VARIANCE: 2·v² − R² with v = normalizedValue(x)
 * and R = hiUnits − loUnits, an integer in [−R², R²] (the square of a half-unit value, centred on
 * the middle of its range [0, R²] and doubled so it stays an integer).
 */
export function normalizedSquare(m: ValueGrid, x: number): bigint {
  const v = normalizedValue(m, x);
  const r = m.hiUnits - m.loUnits;
  return 2n * v * v - r * r;
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}
