import { seededRandom, type RandomSource } from '../../src/dp/index.js';
import { clopperPearson } from './stats.js';

/**
 * Empirical privacy audit (Ding et al., CCS 2018; DP-Auditorium): run a mechanism N times on a
 * dataset D and on its neighbour D′ (one user added with maximal contribution: Linf rows at the
 * extreme value), count how often each output event S (fixed in advance from the public
 * parameters, never from the samples) occurs, and bound
 *   ε̂ = ln((P_A[S] − δ) / P_B[S])   for (A, B) = (D′, D) and (D, D′)
 * from below with Clopper–Pearson bounds (lower on P_A, upper on P_B). A correct (ε, δ)-DP
 * mechanism has ε̂ <= ε for every S, so "ε̂_lower > ε" happens with probability at most ALPHA
 * per audit (Bonferroni over events, directions and both bounds): false-failure rate 1e-6 per
 * audit, with fixed seeds. The planted bugs (noise calibrated for 2ε, i.e. the scale halved)
 * must give ε̂_lower > ε: that proves the audit has power.
 */
export const ALPHA = 1e-6;
export const N = 200_000;

export interface AuditResult {
  readonly epsilonHat: number;
  readonly epsilonLower: number;
}

export function audit<O>(
  label: string,
  declared: { epsilon: number; delta: number },
  runD: (rng: RandomSource) => O,
  runNeighbour: (rng: RandomSource) => O,
  events: readonly ((o: O) => boolean)[],
  seed: string,
  n = N,
): AuditResult {
  const rngD = seededRandom(`${seed}-D`);
  const rngN = seededRandom(`${seed}-N`);
  const hitsD = new Array<number>(events.length).fill(0);
  const hitsN = new Array<number>(events.length).fill(0);
  for (let i = 0; i < n; i++) {
    const oD = runD(rngD);
    const oN = runNeighbour(rngN);
    events.forEach((e, j) => {
      if (e(oD)) hitsD[j]! += 1;
      if (e(oN)) hitsN[j]! += 1;
    });
  }
  const alphaEach = ALPHA / (4 * events.length);
  let epsilonHat = -Infinity;
  let epsilonLower = -Infinity;
  events.forEach((_, j) => {
    for (const [a, b] of [
      [hitsN[j]!, hitsD[j]!],
      [hitsD[j]!, hitsN[j]!],
    ] as const) {
      const point = Math.log(Math.max(0, a / n - declared.delta) / (b / n));
      const lower = Math.log(
        Math.max(0, clopperPearson(a, n, alphaEach).lower - declared.delta) /
          clopperPearson(b, n, alphaEach).upper,
      );
      if (Number.isFinite(point)) epsilonHat = Math.max(epsilonHat, point);
      epsilonLower = Math.max(epsilonLower, lower);
    }
  });
  console.log(
    `audit ${label}: declared ε = ${declared.epsilon.toFixed(4)}, ε̂ = ${epsilonHat.toFixed(4)}, ε̂ lower bound = ${epsilonLower.toFixed(4)}`,
  );
  return { epsilonHat, epsilonLower };
}
