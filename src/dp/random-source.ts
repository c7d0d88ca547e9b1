import { createCipheriv, createHash, randomFillSync } from 'node:crypto';
import { DpParameterError } from './errors.js';

/**
 * The only source of randomness the DP samplers use: uniform integers below a bound. Every
 * sampler in `dp/` takes one as its last argument, so production injects {@link secureRandom}
 * and tests inject {@link seededRandom}.
 *
 * @example
 * ```ts
 * const rng = secureRandom();
 * const die = rng.randomBelow(6n) + 1n; // 1..6, each with probability exactly 1/6
 * ```
 */
export interface RandomSource {
  /** A uniform integer in [0, n), for n >= 1. */
  randomBelow(n: bigint): bigint;
}

const BUFFER_BYTES = 4096;
const TWO_32 = 0x1_0000_0000;
const TWO_53N = 0x20_0000_0000_0000n;

/**
 * A {@link RandomSource} over a stream of random bytes, read 4096 at a time. Uniform integers
 * come from rejection sampling (never `x mod n` on its own, which is biased unless n divides the
 * range): exact for every n.
 */
class BufferedRandom implements RandomSource {
  readonly #bytes = new Uint8Array(BUFFER_BYTES);
  readonly #view = new DataView(this.#bytes.buffer);
  #pos = BUFFER_BYTES;

  constructor(private readonly refill: (bytes: Uint8Array) => void) {}

  /** 32 fresh random bits as an unsigned integer. Little-endian, so seeded streams agree across machines. */
  nextUint32(): number {
    if (this.#pos + 4 > BUFFER_BYTES) {
      this.refill(this.#bytes);
      this.#pos = 0;
    }
    const x = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return x;
  }

  /** Uniform integer in [0, n) for an integer 1 <= n <= 2^53, in Number arithmetic (exact in that range). */
  belowNumber(n: number): number {
    if (n <= TWO_32) {
      if (n === 1) return 0;
      // Reject the top (2^32 mod n) values so that x mod n is exactly uniform.
      const limit = TWO_32 - (TWO_32 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    // n in (2^32, 2^53]: draw bitLength(n - 1) bits as hi·2^32 + lo (< 2^53, exact) and reject values >= n.
    const hiBits = 32 - Math.clz32(Math.floor((n - 1) / TWO_32));
    const hiMask = hiBits === 32 ? 0xffff_ffff : (1 << hiBits) - 1;
    for (;;) {
      const hi = (this.nextUint32() & hiMask) >>> 0;
      const x = hi * TWO_32 + this.nextUint32();
      if (x < n) return x;
    }
  }

  randomBelow(n: bigint): bigint {
    if (n < 1n) throw new DpParameterError(`randomBelow bound must be >= 1, got ${n}`);
    if (n <= TWO_53N) return BigInt(this.belowNumber(Number(n)));
    // Rejection sampling on bitLength(n - 1) random bits: accepts with probability > 1/2.
    const bits = bitLength(n - 1n);
    const words = Math.ceil(bits / 32);
    const excess = BigInt(words * 32 - bits);
    for (;;) {
      let x = 0n;
      for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(this.nextUint32());
      x >>= excess;
      if (x < n) return x;
    }
  }
}

/** Number of bits of a positive bigint. */
function bitLength(n: bigint): number {
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
}

/**
 * The production randomness: bytes from the operating system's CSPRNG (`node:crypto`
 * `randomFillSync`), buffered 4096 bytes at a time, turned into uniform integers by rejection
 * sampling (no modulo bias). Each call returns an independent source with its own buffer.
 *
 * @example
 * ```ts
 * const rng = secureRandom();
 * const noise = sampleDiscreteLaplace(discreteLaplaceScale(1, 0.5), rng);
 * ```
 */
export function secureRandom(): RandomSource {
  return new BufferedRandom((bytes) => randomFillSync(bytes));
}

/**
 * A deterministic {@link RandomSource} for TESTS ONLY: the AES-256-CTR keystream under the key
 * sha256(seed) (zero IV), so the same seed always gives the same integers, on every machine.
 *
 * Never use it for a release: anyone who knows or guesses the seed can recompute the noise and
 * subtract it, which removes all privacy. Releases use {@link secureRandom}.
 *
 * @example
 * ```ts
 * const a = seededRandom('test-1').randomBelow(1000n);
 * const b = seededRandom('test-1').randomBelow(1000n);
 * // a === b
 * ```
 */
export function seededRandom(seed: string): RandomSource {
  const key = createHash('sha256').update(seed, 'utf8').digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(BUFFER_BYTES);
  return new BufferedRandom((bytes) => bytes.set(cipher.update(zeros)));
}

/**
 * Uniform integer in [0, n) as a Number, for an integer 1 <= n <= 2^53. Uses the Number fast path
 * of our own sources and falls back to {@link RandomSource.randomBelow} for any other source.
 */
export function randomBelowNumber(rng: RandomSource, n: number): number {
  if (rng instanceof BufferedRandom) return rng.belowNumber(n);
  return Number(rng.randomBelow(BigInt(n)));
}
