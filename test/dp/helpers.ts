import { expect } from 'vitest';
import type { RandomSource } from '../../src/dp/index.js';

/** A RandomSource that replays a script of [bound, value] pairs and fails on any other request. */
export function scripted(
  script: readonly (readonly [bigint, bigint])[],
): RandomSource & { readonly remaining: number } {
  let i = 0;
  return {
    randomBelow(n: bigint): bigint {
      const step = script[i++];
      if (step === undefined) throw new Error(`script exhausted at draw ${i} (bound ${n})`);
      expect(n).toBe(step[0]);
      expect(step[1] >= 0n && step[1] < n).toBe(true);
      return step[1];
    },
    get remaining() {
      return script.length - i;
    },
  };
}

/**
 * The draws that make sampleDiscreteLaplace with integer scale t (= t/1) return exactly
 * `value` in [0, t): sign positive, U = value (accepted: Bernoulli(U/t) fails at k = 1),
 * V = 0 (Bernoulli(1) succeeds at k = 1, Bernoulli(1/2) fails at k = 2), so ⌊(U + t·V)/1⌋ = value.
 */
export function laplaceDraws(t: bigint, value = 0n): [bigint, bigint][] {
  return [
    [2n, 1n],
    [t, value],
    [t, t - 1n],
    [1n, 0n],
    [2n, 1n],
  ];
}

/** L0 = Linf = 1, the default contribution bounds. */
export const ONE = { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 } as const;

/** Repetitions of the interval-coverage tests. */
export const REPS = 4000;
/** Binomial standard error of a coverage proportion near 95% over REPS repetitions (≈ 0.00345). */
export const SE_95 = Math.sqrt((0.95 * 0.05) / REPS);
