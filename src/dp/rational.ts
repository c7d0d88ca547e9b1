import { DpParameterError } from './errors.js';

/**
 * An exact rational number num/den with den > 0. Sampler parameters (probabilities, noise
 * scales) are rationals so the samplers can work in integer arithmetic only: floating-point noise
 * leaks through the gaps between doubles (Mironov, "On significance of the least significant bits
 * for differential privacy", CCS 2012).
 *
 * @example
 * ```ts
 * const half: Rational = { num: 1n, den: 2n };
 * ```
 */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/**
 * The exact value of a finite double as a reduced rational. Every finite double is a dyadic
 * rational m·2^e, so the denominator is always a power of two: `0.1` becomes
 * 3602879701896397/36028797018963968, the double nearest to 1/10, not 1/10 itself.
 *
 * @example
 * ```ts
 * rationalFromNumber(3.75); // { num: 15n, den: 4n }
 * rationalFromNumber(0.1);  // { num: 3602879701896397n, den: 36028797018963968n }
 * ```
 */
export function rationalFromNumber(x: number): Rational {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new DpParameterError(`value must be a finite number to convert to a rational, got ${String(x)}`);
  }
  if (x === 0) return Object.freeze({ num: 0n, den: 1n });
  // IEEE 754 binary64: 1 sign bit, 11 exponent bits, 52 fraction bits.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xf_ffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074; // subnormal: 0.fraction · 2^-1022
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  // Reduce: strip common factors of two.
  while (exponent < 0 && (mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    exponent += 1;
  }
  const signed = negative ? -mantissa : mantissa;
  return exponent >= 0
    ? Object.freeze({ num: signed << BigInt(exponent), den: 1n })
    : Object.freeze({ num: signed, den: 1n << BigInt(-exponent) });
}

/** num/den reduced to lowest terms with a positive denominator. */
export function rational(num: bigint, den: bigint): Rational {
  if (den === 0n) throw new DpParameterError('rational denominator must not be 0');
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num < 0n ? -num : num, den);
  return Object.freeze({ num: num / g, den: den / g });
}

/** a / b, exactly. */
export function divideRationals(a: Rational, b: Rational): Rational {
  if (b.num === 0n) throw new DpParameterError('division of rationals by 0');
  return rational(a.num * b.den, a.den * b.num);
}

/**
 * The double nearest to num/den (correctly rounded for operands below 2^53, within an ulp or two
 * otherwise). For display and for float post-processing, never as a sampler input.
 *
 * @example
 * ```ts
 * rationalToNumber({ num: 15n, den: 4n }); // 3.75
 * ```
 */
export function rationalToNumber(r: Rational): number {
  const { num, den } = r;
  const limit = 1n << 53n;
  const abs = num < 0n ? -num : num;
  if (abs < limit && den < limit) return Number(num) / Number(den);
  // Scale to ~64 significant bits of quotient, then divide once in floating point.
  const shift = bitLength(abs) - bitLength(den) - 64;
  const q = shift >= 0 ? abs / (den << BigInt(shift)) : (abs << BigInt(-shift)) / den;
  const half = Math.trunc(shift / 2); // two steps, so 2^shift itself never overflows or underflows
  const value = Number(q) * 2 ** half * 2 ** (shift - half);
  return num < 0n ? -value : value;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}
