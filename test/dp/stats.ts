/**
 * Small statistics for the randomized DP tests: the chi-square survival function (via the
 * regularized upper incomplete gamma function) and a goodness-of-fit test with bin merging.
 */
import { logGamma, regularizedGamma } from '../../src/dp/special-functions.js';

export { logGamma };

/** Q(a, x) = Γ(a, x)/Γ(a), the regularized upper incomplete gamma function (the library's). */
export function regularizedGammaQ(a: number, x: number): number {
  return regularizedGamma(a, x).q;
}

/** P(χ²_df > x). */
export function chiSquareSurvival(x: number, df: number): number {
  return regularizedGammaQ(df / 2, x / 2);
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
  readonly bins: number;
}

/**
 * Pearson goodness of fit of observed counts against expected probabilities over the same
 * ordered cells (the probabilities must sum to 1, tails included). Adjacent cells are merged,
 * left to right, until each bin expects at least `minExpected`; a short last bin is merged into
 * its neighbour. df = bins − 1 (no fitted parameters).
 */
export function chiSquareGoodnessOfFit(
  observed: readonly number[],
  probabilities: readonly number[],
  minExpected = 5,
): ChiSquareResult {
  if (observed.length !== probabilities.length)
    throw new Error('observed and probabilities differ in length');
  const n = observed.reduce((s, x) => s + x, 0);
  const bins: { o: number; e: number }[] = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < observed.length; i++) {
    o += observed[i]!;
    e += n * probabilities[i]!;
    if (e >= minExpected) {
      bins.push({ o, e });
      o = 0;
      e = 0;
    }
  }
  if (e > 0 || o > 0) {
    const last = bins.pop() ?? { o: 0, e: 0 };
    bins.push({ o: last.o + o, e: last.e + e });
  }
  const statistic = bins.reduce((s, b) => s + (b.o - b.e) ** 2 / b.e, 0);
  const df = bins.length - 1;
  return { statistic, df, pValue: chiSquareSurvival(statistic, df), bins: bins.length };
}

/** The regularized incomplete beta function I_x(a, b) (Numerical Recipes §6.4, continued fraction). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logBt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logBt) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logBt) * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 1_000_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/**
 * Clopper–Pearson bounds for a binomial proportion with k successes in n trials: each bound
 * holds with probability >= 1 − alpha (one-sided), so the pair with probability >= 1 − 2·alpha.
 * Found by bisection on the beta CDF: lower = Beta⁻¹(alpha; k, n−k+1), upper = Beta⁻¹(1−alpha; k+1, n−k).
 */
export function clopperPearson(k: number, n: number, alpha: number): { lower: number; upper: number } {
  const quantile = (q: number, a: number, b: number): number => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (incompleteBeta(mid, a, b) < q) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return {
    lower: k === 0 ? 0 : quantile(alpha, k, n - k + 1),
    upper: k === n ? 1 : quantile(1 - alpha, k + 1, n - k),
  };
}
