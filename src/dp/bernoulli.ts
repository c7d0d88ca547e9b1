import { DpParameterError } from './errors.js';
import type { RandomSource } from './random-source.js';
import type { Rational } from './rational.js';

/**
 * An exact Bernoulli(p) draw for a rational p in [0, 1]: true with probability exactly
 * p.num / p.den. One uniform integer below the denominator, compared with the numerator.
 *
 * Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for Differential Privacy", §5.1;
 * OpenDP `sample_bernoulli_rational`.
 *
 * @example
 * ```ts
 * const heads = sampleBernoulliRational({ num: 1n, den: 3n }, secureRandom()); // true w.p. 1/3
 * ```
 */
export function sampleBernoulliRational(p: Rational, rng: RandomSource): boolean {
  if (p.den <= 0n || p.num < 0n || p.num > p.den) {
    throw new DpParameterError(`Bernoulli probability must be a rational in [0, 1], got ${p.num}/${p.den}`);
  }
  return rng.randomBelow(p.den) < p.num;
}

/**
 * An exact Bernoulli(exp(-gamma)) draw for a rational gamma >= 0, with no floating point and no
 * evaluation of exp: only uniform integers.
 *
 * For gamma in [0, 1] it counts how many Bernoulli(gamma/k), k = 1, 2, …, succeed in a row and
 * returns true when the first failure comes at an odd k (the probability is the alternating
 * series of exp(-gamma)). For gamma > 1 it factors exp(-gamma) = exp(-1)^⌊gamma⌋ · exp(-frac),
 * stopping at the first false factor.
 *
 * Canonne, Kamath, Steinke 2020, Alg. 1; OpenDP `sample_bernoulli_exp` / `sample_bernoulli_exp1`.
 *
 * @example
 * ```ts
 * // true with probability exp(-1/2)
 * const keep = sampleBernoulliExp({ num: 1n, den: 2n }, secureRandom());
 * ```
 */
export function sampleBernoulliExp(gamma: Rational, rng: RandomSource): boolean {
  if (gamma.den <= 0n || gamma.num < 0n) {
    throw new DpParameterError(
      `Bernoulli(exp(-gamma)) needs a rational gamma >= 0, got ${gamma.num}/${gamma.den}`,
    );
  }
  let num = gamma.num;
  const den = gamma.den;
  // CKS 2020 Alg. 1, gamma > 1: exp(-gamma) = exp(-1) · exp(-(gamma - 1)).
  while (num > den) {
    if (!bernoulliExp1(1n, 1n, rng)) return false;
    num -= den;
  }
  return bernoulliExp1(num, den, rng);
}

/**
 * Bernoulli(exp(-num/den)) for 0 <= num/den <= 1: the first k with Bernoulli(x/k) = 0 is odd with
 * probability exactly exp(-x). CKS 2020 Alg. 1 (γ ∈ [0, 1] branch).
 */
export function bernoulliExp1(num: bigint, den: bigint, rng: RandomSource): boolean {
  let k = 1n;
  // Bernoulli(x/k) = Bernoulli(num / (den·k)).
  while (rng.randomBelow(den * k) < num) k += 1n;
  return (k & 1n) === 1n;
}
