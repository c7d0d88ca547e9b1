import type { Noise } from './noise.js';
import type { RandomSource } from './random-source.js';
import { rationalToNumber } from './rational.js';

/**
 * Fast, approximate draws from a mechanism's noise distribution for simulations that are
 * post-processing of already released values (a bootstrap interval re-noises the released tree
 * hundreds of times). Never used to release anything: released noise comes only from the exact
 * samplers (`sampleNoise`). The stream is xoshiro128** seeded with 128 bits from `rng` once, so a
 * seeded `rng` makes the simulation reproducible and a secure one makes it unpredictable; the
 * distributions are the exact ones evaluated in floating point (inverse-CDF geometric for the
 * discrete Laplace, CKS 2020 Alg. 3 rejection for the discrete Gaussian).
 *
 * @example
 * ```ts
 * const sim = simulationNoise(m.noise, rng);
 * const again = released + sim(); // one re-noising of a released count
 * ```
 */
export function simulationNoise(noise: Noise, rng: RandomSource): () => number {
  const uniform = xoshiro128(rng);
  if (noise.kind === 'laplace') {
    const scale = rationalToNumber(noise.scale);
    if (scale === 0) return () => 0;
    return () => laplace(scale, uniform);
  }
  const sigma2 = rationalToNumber(noise.sigma2);
  if (sigma2 === 0) return () => 0;
  // Canonne, Kamath, Steinke 2020, Alg. 3: t = ⌊σ⌋ + 1, Y ~ discrete Laplace(t), accept with
  // probability exp(-(|Y| − σ²/t)² / (2σ²)).
  const t = Math.floor(Math.sqrt(sigma2)) + 1;
  return () => {
    for (;;) {
      const y = laplace(t, uniform);
      const d = Math.abs(y) - sigma2 / t;
      if (uniform() < Math.exp(-(d * d) / (2 * sigma2))) return y;
    }
  };
}

/**
 * Discrete Laplace of `scale` as the difference of two geometrics on {0, 1, …} with
 * P(G ≥ k) = e^{−k/scale}, each ⌊−scale·ln U⌋ for U uniform in (0, 1].
 */
function laplace(scale: number, uniform: () => number): number {
  const g1 = Math.floor(-scale * Math.log(1 - uniform()));
  const g2 = Math.floor(-scale * Math.log(1 - uniform()));
  return g1 - g2;
}

/** xoshiro128** (Blackman, Vigna 2018): a uniform double in [0, 1) from 53 bits of two outputs. */
function xoshiro128(rng: RandomSource): () => number {
  const seed = (): number => Number(rng.randomBelow(0x1_0000_0000n));
  let a = seed();
  let b = seed();
  let c = seed();
  let d = seed();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return () => ((next() >>> 5) * 0x400_0000 + (next() >>> 6)) / 0x20_0000_0000_0000;
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
