import { sampleBernoulliExp } from './bernoulli.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import { DpParameterError } from './errors.js';
import type { RandomSource } from './random-source.js';
import { rational, rationalFromNumber, rationalToNumber, type Rational } from './rational.js';
import { normalTwoSidedMass } from './special-functions.js';

/**
 * An exact draw from the discrete Gaussian on the integers, P(z) ∝ exp(-z² / (2σ²)), for a
 * rational variance parameter σ² >= 0 (σ² = 0 always gives 0). Integer arithmetic only: adding it
 * to an integer statistic of L2 sensitivity Δ₂ gives ρ-zCDP with ρ = Δ₂² / (2σ²).
 *
 * Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for Differential Privacy", Alg. 3: with
 * t = ⌊σ⌋ + 1, draw Y from the discrete Laplace of scale t and accept it with probability
 * exp(-(|Y| - σ²/t)² / (2σ²)) (an exact Bernoulli(exp(-γ)) on a rational γ). The expected number
 * of rounds is below 2.5 for every σ (CKS 2020 §5.3); OpenDP `sample_discrete_gaussian`.
 *
 * @example
 * ```ts
 * const rng = secureRandom();
 * const noisy = 1234n + sampleDiscreteGaussian({ num: 25n, den: 1n }, rng); // σ = 5
 * ```
 */
export function sampleDiscreteGaussian(sigma2: Rational, rng: RandomSource): bigint {
  if (typeof sigma2 !== 'object' || sigma2 === null || sigma2.den <= 0n || sigma2.num < 0n) {
    throw new DpParameterError(
      `discrete Gaussian σ² must be a rational >= 0, got ${String(sigma2?.num)}/${String(sigma2?.den)}`,
    );
  }
  if (sigma2.num === 0n) return 0n;
  const n = sigma2.num;
  const d = sigma2.den;
  // t = ⌊σ⌋ + 1 with ⌊σ⌋ = ⌊√(n/d)⌋ = ⌊isqrt(n·d) / d⌋.
  const t = isqrt(n * d) / d + 1n;
  const laplaceScale: Rational = { num: t, den: 1n };
  // γ = (|Y| - σ²/t)² / (2σ²) = (|Y|·t·d - n)² / (2·n·t²·d).
  const gammaDen = 2n * n * t * t * d;
  for (;;) {
    const y = sampleDiscreteLaplace(laplaceScale, rng);
    const abs = y < 0n ? -y : y;
    const diff = abs * t * d - n;
    if (sampleBernoulliExp({ num: diff * diff, den: gammaDen }, rng)) return y;
  }
}

/** Above this σ the PMF sum is replaced by the normal mass (relative difference < 1e-12, see below). */
const EXACT_SUM_MAX_SIGMA = 2000;

/**
 * The smallest integer k >= 0 with P(|X| <= k) >= confidence for X ~ discrete Gaussian(σ²): the
 * half-width of a `confidence` interval `value ± k` around a noisy integer.
 *
 * For σ <= 2000 it sums the exact PMF exp(-z²/(2σ²)) / Z over |z| <= 40σ + 10 (the rest is below
 * 1e-300), normalized by the same sum. Above, it uses the normal mass of [-k - ½, k + ½]: by
 * Poisson summation the discrete Gaussian's partial sums differ from it by far less than 1e-12
 * there, and k is then bumped while that mass is within 1e-9 of `confidence`, so it never errs
 * on the narrow side.
 *
 * @example
 * ```ts
 * discreteGaussianHalfWidth({ num: 1n, den: 1n });       // 2 (P(|X| <= 2) ≈ 0.9545)
 * discreteGaussianHalfWidth({ num: 100n, den: 1n }, 0.9); // 16
 * ```
 */
export function discreteGaussianHalfWidth(sigma2: Rational, confidence = 0.95): bigint {
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) {
    throw new DpParameterError(`confidence must be a number in (0, 1), got ${String(confidence)}`);
  }
  const s2 = rationalToNumber(sigma2);
  if (!(s2 >= 0) || !Number.isFinite(s2)) {
    throw new DpParameterError(`discrete Gaussian σ² must be a finite rational >= 0, got ${s2}`);
  }
  if (s2 === 0) return 0n;
  const sigma = Math.sqrt(s2);
  if (sigma > EXACT_SUM_MAX_SIGMA) {
    const mass = (k: number): number => normalTwoSidedMass((k + 0.5) / sigma);
    // Smallest k with mass(k) >= confidence + 1e-9, by bisection (mass is increasing in k).
    let lo = 0;
    let hi = Math.ceil(40 * sigma) + 10;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (mass(mid) >= confidence + 1e-9) hi = mid;
      else lo = mid + 1;
    }
    return BigInt(lo);
  }
  const m = Math.ceil(40 * sigma) + 10;
  const weights = new Float64Array(m + 1);
  let z = 0;
  for (let x = 0; x <= m; x++) {
    weights[x] = Math.exp(-(x * x) / (2 * s2));
    z += x === 0 ? weights[x]! : 2 * weights[x]!;
  }
  let mass = weights[0]! / z;
  let k = 0;
  while (mass < confidence && k < m) {
    k += 1;
    mass += (2 * weights[k]!) / z;
  }
  return BigInt(k);
}

/**
 * The σ² of a discrete Gaussian that gives ρ-zCDP to a statistic of L2 sensitivity Δ₂:
 * σ² = Δ₂² / (2ρ) (Bun & Steinke 2016 Prop. 1.6; CKS 2020 Thm. 4 for the discrete Gaussian).
 * Rounded so the guarantee is never weaker: a non-integer Δ₂ (e.g. √L0·Linf, already rounded by
 * `Math.sqrt`) is first raised by one ulp, and σ² is rounded UP to a multiple of 2^-32.
 *
 * @example
 * ```ts
 * discreteGaussianSigma2ForRho(1, 0.5); // { num: 1n, den: 1n }
 * discreteGaussianSigma2ForRho(2, 0.1); // { num: 20n, den: 1n }
 * ```
 */
export function discreteGaussianSigma2ForRho(l2Sensitivity: number, rho: number): Rational {
  if (typeof l2Sensitivity !== 'number' || !Number.isFinite(l2Sensitivity) || l2Sensitivity < 0) {
    throw new DpParameterError(`l2Sensitivity must be a finite number >= 0, got ${String(l2Sensitivity)}`);
  }
  const l2 = Number.isInteger(l2Sensitivity) ? l2Sensitivity : nextUp(l2Sensitivity);
  const d = rationalFromNumber(l2);
  return sigma2ForRhoExact(rational(d.num * d.num, d.den * d.den), rho);
}

/** σ² = Δ₂²/(2ρ) for an exact Δ₂², rounded up to a multiple of 2^-32. */
export function sigma2ForRhoExact(l2Squared: Rational, rho: number): Rational {
  if (typeof rho !== 'number' || !Number.isFinite(rho) || rho <= 0) {
    throw new DpParameterError(`rho must be a finite number > 0, got ${String(rho)}`);
  }
  const r = rationalFromNumber(rho);
  // Δ₂² / (2ρ) = (a/b) / (2·p/q) = a·q / (2·b·p).
  const num = l2Squared.num * r.den;
  const den = 2n * l2Squared.den * r.num;
  const scale = 1n << 32n;
  const scaled = (num * scale + den - 1n) / den; // ceil
  return rational(scaled, scale);
}

/** ⌊√n⌋ for a bigint n >= 0 (Newton's method). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new DpParameterError(`isqrt of a negative number ${n}`);
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n)))) + 1n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** The smallest double above x (x finite, > 0). */
function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}
