import { checkEpsilon, DpParameterError } from './errors.js';
import { divideRationals, rationalFromNumber, type Rational } from './rational.js';

/**
 * The discrete Laplace scale that makes a statistic of L1 sensitivity `l1Sensitivity` satisfy
 * ε-DP: exactly l1Sensitivity / epsilon, as a reduced rational of the two doubles' exact values.
 * Privacy map of the discrete Laplace mechanism: ε = Δ₁ / scale (CKS 2020, Thm. 3 for the
 * discrete Laplace; OpenDP `ZExpFamily<1>` privacy map).
 *
 * @example
 * ```ts
 * discreteLaplaceScale(2, 0.5); // { num: 4n, den: 1n }
 * discreteLaplaceScale(1, 3);   // { num: 1n, den: 3n }
 * ```
 */
export function discreteLaplaceScale(l1Sensitivity: number, epsilon: number): Rational {
  if (typeof l1Sensitivity !== 'number' || !Number.isFinite(l1Sensitivity) || l1Sensitivity < 0) {
    throw new DpParameterError(`l1Sensitivity must be a finite number >= 0, got ${String(l1Sensitivity)}`);
  }
  checkEpsilon(epsilon);
  return divideRationals(rationalFromNumber(l1Sensitivity), rationalFromNumber(epsilon));
}

/**
 * The smallest integer h >= 0 with P(|X| > h) <= alpha for X ~ discrete Laplace(scale): the
 * half-width of a (1 - alpha) interval `value ± h` around a noisy integer.
 *
 * With a = exp(-1/scale), P(X = z) = (1 - a)/(1 + a) · a^|z|, so for k >= 1
 * P(|X| >= k) = 2a^k / (1 + a) (sum of two geometric tails), and P(|X| > h) = 2a^(h+1) / (1 + a).
 * Computed in log space: ln P(|X| > h) = ln 2 - (h + 1)/scale - ln(1 + a).
 *
 * @example
 * ```ts
 * discreteLaplaceHalfWidth(1, 0.05);  // 3: P(|X| > 3) = 2e^-4/(1 + e^-1) ≈ 0.027, P(|X| > 2) ≈ 0.073
 * discreteLaplaceHalfWidth(0, 0.05);  // 0: no noise
 * ```
 */
export function discreteLaplaceHalfWidth(scale: number, alpha: number): number {
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0) {
    throw new DpParameterError(`scale must be a finite number >= 0, got ${String(scale)}`);
  }
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new DpParameterError(`alpha must be a number in (0, 1), got ${String(alpha)}`);
  }
  if (scale === 0) return 0;
  const logTailBeyond = (h: number): number => Math.LN2 - (h + 1) / scale - Math.log1p(Math.exp(-1 / scale));
  const logAlpha = Math.log(alpha);
  // Solve ln 2 - (h + 1)/scale - ln(1 + a) <= ln(alpha) for h, then settle the rounding exactly.
  let h = Math.max(0, Math.ceil(scale * (Math.LN2 - Math.log1p(Math.exp(-1 / scale)) - logAlpha) - 1));
  if (h >= Number.MAX_SAFE_INTEGER) return h;
  while (logTailBeyond(h) > logAlpha) h += 1;
  while (h > 0 && logTailBeyond(h - 1) <= logAlpha) h -= 1;
  return h;
}
