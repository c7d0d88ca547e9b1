/**
 * The few special functions the calibration and interval code needs, in double precision (they
 * size intervals and report utility; no noise is ever drawn from them).
 */

/** ln Γ(x) for x > 0: Lanczos approximation (g = 7, 9 terms), relative error ~1e-15. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 − P: series for x < a + 1,
 * Lentz's continued fraction otherwise (Press et al., Numerical Recipes §6.2). Returns the
 * directly computed one accurately (no cancellation).
 */
export function regularizedGamma(a: number, x: number): { p: number; q: number } {
  if (x <= 0) return { p: 0, q: 1 };
  const logPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 100_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    const p = Math.min(1, sum * Math.exp(logPrefix));
    return { p, q: 1 - p };
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-17) break;
  }
  const q = Math.exp(logPrefix) * h;
  return { p: 1 - q, q };
}

/** P(|Z| <= z) for a standard normal Z and z >= 0: erf(z/√2) = P(1/2, z²/2). */
export function normalTwoSidedMass(z: number): number {
  return z <= 0 ? 0 : regularizedGamma(0.5, (z * z) / 2).p;
}

/** P(Z > z) for a standard normal Z (accurate far into the upper tail). */
export function normalUpperTail(z: number): number {
  if (z === 0) return 0.5;
  const { p, q } = regularizedGamma(0.5, (z * z) / 2);
  return z > 0 ? q / 2 : 0.5 + p / 2;
}

/** Φ(z): the standard normal CDF. */
export function normalCdf(z: number): number {
  return normalUpperTail(-z);
}
