import { DpParameterError } from './errors.js';
import { bernoulliExp1 } from './bernoulli.js';
import type { RandomSource } from './random-source.js';
import type { Rational } from './rational.js';

/**
 * An exact draw from the discrete Laplace distribution on the integers,
 * P(z) ∝ exp(-|z| / scale), for a rational scale >= 0 (scale 0 always gives 0). Integer
 * arithmetic only, so the output distribution is exactly the stated one: adding it to an integer
 * statistic of L1 sensitivity Δ gives (Δ / scale)-DP.
 *
 * Canonne, Kamath, Steinke 2020, Alg. 2 (with the fast geometric sampler of §5.2);
 * OpenDP `sample_discrete_laplace` / `sample_geometric_exp_fast`.
 *
 * @example
 * ```ts
 * const rng = secureRandom();
 * const noisy = 1234n + sampleDiscreteLaplace(discreteLaplaceScale(1, 0.5), rng); // ε = 0.5 count
 * ```
 */
export function sampleDiscreteLaplace(scale: Rational, rng: RandomSource): bigint {
  if (scale.den <= 0n || scale.num < 0n) {
    throw new DpParameterError(
      `discrete Laplace scale must be a rational >= 0, got ${scale.num}/${scale.den}`,
    );
  }
  if (scale.num === 0n) return 0n;
  // scale = t/s; the magnitude is Geometric with P(m) ∝ exp(-m·s/t).
  const t = scale.num;
  const s = scale.den;
  for (;;) {
    const positive = rng.randomBelow(2n) === 1n;
    const magnitude = sampleGeometricExpFast(s, t, rng);
    // Reject (negative, 0): otherwise 0 would be drawn twice as often as it should.
    if (positive || magnitude !== 0n) return positive ? magnitude : -magnitude;
  }
}

/**
 * Geometric on {0, 1, …} with P(m) = (1 - e^{-s/t}) e^{-m·s/t}, for integers s >= 1, t >= 1.
 * Draws the remainder U of a Geometric(e^{-1/t}) modulo t by rejection, the quotient V as a
 * Geometric(e^{-1}), and returns ⌊(U + t·V) / s⌋. CKS 2020 Alg. 2, steps 2–6.
 */
function sampleGeometricExpFast(s: bigint, t: bigint, rng: RandomSource): bigint {
  let u: bigint;
  do u = rng.randomBelow(t);
  while (!bernoulliExp1(u, t, rng)); // accept U with probability exp(-U/t)
  let v = 0n;
  while (bernoulliExp1(1n, 1n, rng)) v += 1n; // V ~ Geometric(exp(-1)): CKS 2020 Alg. 2, step 4
  return (u + t * v) / s;
}
