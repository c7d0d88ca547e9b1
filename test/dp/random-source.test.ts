import { describe, expect, it } from 'vitest';
import { DpParameterError, secureRandom, seededRandom, type RandomSource } from '../../src/dp/index.js';
import { chiSquareGoodnessOfFit } from './stats.js';

/** Goodness-of-fit tests fail at p < 1e-6: false-failure rate 1e-6 per seed. */
const ALPHA = 1e-6;

/** Frequencies of `cell(x)` over `draws` draws of randomBelow(n), against equal cell probabilities. */
function uniformityP(
  rng: RandomSource,
  n: bigint,
  cells: number,
  cell: (x: bigint) => number,
  draws = 60_000,
) {
  const observed = new Array<number>(cells).fill(0);
  for (let i = 0; i < draws; i++) {
    const x = rng.randomBelow(n);
    expect(x >= 0n && x < n).toBe(true);
    observed[cell(x)]! += 1;
  }
  return chiSquareGoodnessOfFit(observed, new Array<number>(cells).fill(1 / cells)).pValue;
}

describe('seededRandom', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const draw = (seed: string) =>
      Array.from({ length: 50 }, () => seededRandom(seed).randomBelow(1n << 80n));
    const a = seededRandom('s');
    const b = seededRandom('s');
    const xs = Array.from({ length: 2000 }, () => a.randomBelow(1_000_003n));
    const ys = Array.from({ length: 2000 }, () => b.randomBelow(1_000_003n));
    expect(xs).toEqual(ys);
    expect(draw('s')).not.toEqual(draw('t'));
  });

  it('keeps a fixed stream across versions (the first draws for seed "fixed")', () => {
    // Pinned so a silent change of the keystream (and with it every seeded test) is noticed. Checked
    // independently: the keystream of `openssl enc -aes-256-ctr -K $(printf fixed | sha256sum) -iv 0`
    // read as little-endian 32-bit words w0, w1, … gives w0 mod 1000, (w1 & 0xff)·2^32 + w2, w3·2^32 + w4.
    const rng = seededRandom('fixed');
    const first = [rng.randomBelow(1000n), rng.randomBelow(1n << 40n), rng.randomBelow(1n << 64n)];
    expect(first).toEqual([353n, 669125796074n, 14211369752922080045n]);
  });
});

describe.each([
  ['seededRandom', () => seededRandom('uniformity')],
  ['secureRandom', () => secureRandom()],
])('%s randomBelow', (_name, make) => {
  it('is uniform below a small bound (n = 6)', () => {
    expect(uniformityP(make(), 6n, 6, (x) => Number(x))).toBeGreaterThan(ALPHA);
  });

  it('has no modulo bias for n = 3·2^30 (x mod 2^32 would put 2/3 of the mass in the low half)', () => {
    const n = 3n << 30n;
    expect(uniformityP(make(), n, 3, (x) => Number(x / (1n << 30n)))).toBeGreaterThan(ALPHA);
  });

  it('is uniform below 2^53 and beyond (Number and BigInt paths)', () => {
    for (const n of [(1n << 40n) * 3n + 1n, 1n << 53n, (1n << 64n) + 5n, 3n ** 60n]) {
      expect(uniformityP(make(), n, 8, (x) => Number((x * 8n) / n), 16_000)).toBeGreaterThan(ALPHA);
    }
  });

  it('returns 0 for n = 1 and rejects n < 1', () => {
    const rng = make();
    expect(rng.randomBelow(1n)).toBe(0n);
    expect(() => rng.randomBelow(0n)).toThrow(DpParameterError);
  });
});
