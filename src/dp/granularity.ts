import { checkFinite, DpParameterError } from './errors.js';
import { rationalFromNumber } from './rational.js';

/** Values are rounded to a grid of at least 2^20 steps across [lo, hi]. */
const GRID_STEPS_LOG2 = 20;

/**
 * The grid step for real values in [lo, hi]: the largest power of two g with (hi - lo)/g >= 2^20.
 * Real values are rounded to multiples of g and noised as integers (OpenDP's 2^k lattice; the
 * fix for Mironov 2012's floating-point attack), and 2^20 steps keep the rounding error below
 * one millionth of the range. The comparison is exact (on the rational values of lo and hi), and
 * the result is an exact power of two, below or above 1.
 *
 * @example
 * ```ts
 * chooseGranularity(0, 600_000); // 0.5: 1,200,000 steps (a step of 1 would give only 600,000 < 2^20)
 * chooseGranularity(0, 1);       // 2^-20
 * ```
 */
export function chooseGranularity(lo: number, hi: number): number {
  checkFinite(lo, 'lo');
  checkFinite(hi, 'hi');
  if (!(lo < hi)) throw new DpParameterError(`lo must be < hi, got lo = ${lo}, hi = ${hi}`);
  const a = rationalFromNumber(lo);
  const b = rationalFromNumber(hi);
  // hi - lo exactly, over a power-of-two denominator 2^e.
  const den = a.den > b.den ? a.den : b.den;
  const num = b.num * (den / b.den) - a.num * (den / a.den);
  const e = den.toString(2).length - 1;
  // floor(log2(hi - lo)) = bitLength(num) - 1 - e; we need g = 2^k with 2^(k + 20) <= hi - lo, k maximal.
  const k = num.toString(2).length - 1 - e - GRID_STEPS_LOG2;
  if (k < -1074) {
    throw new DpParameterError(`[lo, hi] = [${lo}, ${hi}] is too narrow for a grid of 2^20 steps`);
  }
  return powerOfTwo(k);
}

/** 2^k as a double, built from its bits so it is exact for every k in [-1074, 1023]. */
export function powerOfTwo(k: number): number {
  if (!Number.isInteger(k) || k < -1074 || k > 1023) {
    throw new DpParameterError(`2^${k} is not a finite double`);
  }
  const view = new DataView(new ArrayBuffer(8));
  if (k >= -1022) {
    view.setUint32(0, (k + 1023) << 20);
  } else {
    // Subnormal: fraction bit (k + 1074) of the 52, exponent field 0.
    const bit = k + 1074;
    if (bit >= 32) view.setUint32(0, 1 << (bit - 32));
    else view.setUint32(4, 2 ** bit);
  }
  return view.getFloat64(0);
}
