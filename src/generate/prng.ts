/**
 * Deterministic pseudo-random numbers for synthetic test data. Not for DP noise and not
 * cryptographic: the point is that the same seed gives the same bytes on every machine.
 */

const GOLDEN = 0x9e3779b9;

/** The 32-bit finalizer of MurmurHash3 (Appleby): a bijection on uint32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a seed string to four 32-bit words (cyrb128, bryc, public domain), so that distinct
 * seeds give unrelated streams.
 */
export function seedWords(seed: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** The uniform draws every generator here offers. */
export interface Random {
  /** A uniform uint32. */
  nextU32(): number;
  /** A uniform float in [0, 1). */
  float(): number;
  /** A uniform integer in [0, n), for 0 < n ≤ 2^32. */
  int(n: number): number;
}

const TWO_POW_32 = 4294967296;

/**
 * xoshiro128** 1.1 (Blackman & Vigna 2018, https://prng.di.unimi.it/xoshiro128starstar.c):
 * the sequential stream for session contents.
 */
export class Xoshiro128 implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(words: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w | 0) as [number, number, number, number];
    // The all-zero state is the one fixed point of xoshiro.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = GOLDEN;
  }

  /** A generator whose state is the cyrb128 hash of `seed`. */
  static fromSeed(seed: string): Xoshiro128 {
    return new Xoshiro128(seedWords(seed));
  }

  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  float(): number {
    return this.nextU32() / TWO_POW_32;
  }

  int(n: number): number {
    return Math.floor(this.float() * n);
  }
}

/**
 * SplitMix32 (a Weyl sequence through a lowbias32 finalizer, Wellons' hash-prospector): a
 * stream that is cheap to re-key, so each user's fixed attributes can be recomputed from
 * `(seed, user)` whenever they are needed instead of being stored.
 */
export class SplitMix32 implements Random {
  private state = 0;

  constructor(key = 0) {
    this.state = key | 0;
  }

  /** Restarts the stream at `key`. */
  reset(key: number): this {
    this.state = key | 0;
    return this;
  }

  nextU32(): number {
    this.state = (this.state + GOLDEN) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }

  float(): number {
    return this.nextU32() / TWO_POW_32;
  }

  int(n: number): number {
    return Math.floor(this.float() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
