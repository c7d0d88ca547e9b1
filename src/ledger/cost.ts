import { DpParameterError, pureEpsilonToRho, rhoToEpsilon } from '../dp/index.js';

/**
 * What a release spends, tagged by the measure its guarantee is stated in (as OpenDP tags its
 * measurements):
 *
 * - `pure`: ε-DP (discrete Laplace noise). Also (ε²/2)-zCDP (Bun & Steinke 2016, Prop. 1.4).
 * - `zcdp`: ρ-zCDP (discrete Gaussian noise), also stated as the (ε, δ)-DP it implies on its own,
 *   for naive composition. A part whose (ε, δ) has δ = 0 is also pure ε-DP (e.g. a mechanism of
 *   several Laplace parts, whose ρ = Σ εₖ²/2 is below (Σ εₖ)²/2).
 * - `approx`: (ε, δ)-DP only (e.g. private partition selection): it composes naively.
 */
export type CostPart =
  | { readonly measure: 'pure'; readonly epsilon: number }
  | { readonly measure: 'zcdp'; readonly rho: number; readonly epsilon: number; readonly delta: number }
  | { readonly measure: 'approx'; readonly epsilon: number; readonly delta: number };

/**
 * What one release spends: one part per mechanism with its own measure (noise, partition
 * selection). An empty cost spends nothing.
 *
 * @example
 * ```ts
 * const cost = combine(pureCost(0.5), approxCost(0.5, 1e-6)); // Laplace counts + partition selection
 * ```
 */
export type PrivacyCost = readonly CostPart[];

/**
 * How a set of costs composes against caps:
 * - `naive`: every part's (ε, δ) adds up (basic composition, Dwork & Roth 2014, Thm. 3.16);
 * - `zcdp`: every part with a ρ (pure ones as ε²/2) adds up in zCDP and is converted once at the
 *   δ the approx parts leave of `deltaCap`; approx parts add on top;
 * - `best`: the smallest valid ε of naive, zcdp and hybrid (see {@link composeCosts}).
 */
export interface BudgetPolicy {
  readonly epsilonCap: number;
  readonly deltaCap: number;
  readonly accounting: 'naive' | 'zcdp' | 'best';
}

/** Which way of composing gave the stated (ε, δ). */
export type CompositionStatement = 'naive' | 'zcdp' | 'hybrid';

/** The (ε, δ) a set of costs spends together; ρ is the zCDP part converted (0 when none). */
export interface ComposedCost {
  readonly epsilon: number;
  readonly delta: number;
  readonly rho: number;
  readonly statement: CompositionStatement;
}

/**
 * ε-DP: a release with discrete Laplace noise.
 *
 * @example
 * ```ts
 * pureCost(0.3); // [{ measure: 'pure', epsilon: 0.3 }]
 * ```
 */
export function pureCost(epsilon: number): PrivacyCost {
  checkPositive(epsilon, 'epsilon');
  return Object.freeze([Object.freeze({ measure: 'pure' as const, epsilon })]);
}

/**
 * ρ-zCDP: a release with discrete Gaussian noise, also stated as the (ε, δ)-DP it implies at
 * `delta` on its own (tight CKS 2020 conversion), for naive composition.
 *
 * @example
 * ```ts
 * zcdpCost(0.1, 1e-5); // [{ measure: 'zcdp', rho: 0.1, epsilon: 1.914…, delta: 1e-5 }]
 * ```
 */
export function zcdpCost(rho: number, delta: number): PrivacyCost {
  checkPositive(rho, 'rho');
  const epsilon = rhoToEpsilon(rho, delta);
  return Object.freeze([Object.freeze({ measure: 'zcdp' as const, rho, epsilon, delta })]);
}

/**
 * (ε, δ)-DP that is not zCDP, e.g. private partition selection.
 *
 * @example
 * ```ts
 * approxCost(0.5, 1e-6);
 * ```
 */
export function approxCost(epsilon: number, delta: number): PrivacyCost {
  checkPositive(epsilon, 'epsilon');
  if (!(delta >= 0 && delta < 1)) throw new DpParameterError(`delta must be in [0, 1), got ${String(delta)}`);
  return Object.freeze([Object.freeze({ measure: 'approx' as const, epsilon, delta })]);
}

/** One release made of several mechanisms: their parts together. */
export function combine(...costs: readonly PrivacyCost[]): PrivacyCost {
  return Object.freeze(costs.flat());
}

/** The release's own (ε, δ) when its parts compose naively: what a release states it spent. */
export function naiveEpsilonDelta(cost: PrivacyCost): { epsilon: number; delta: number } {
  let epsilon = 0;
  let delta = 0;
  for (const p of cost) {
    epsilon += p.epsilon;
    if (p.measure !== 'pure') delta += p.delta;
  }
  return { epsilon, delta };
}

interface Sums {
  /** Naive: every part's (ε, δ). */
  readonly naiveEpsilon: number;
  readonly naiveDelta: number;
  /** Approx parts (never zCDP). */
  readonly approxEpsilon: number;
  readonly approxDelta: number;
  /** ρ of every part that has one (pure as ε²/2). */
  readonly rhoAll: number;
  /** Parts that are pure ε-DP (pure, or zcdp stated with δ = 0): their ε. */
  readonly pureEpsilon: number;
  /** ρ of the zcdp parts that are not pure. */
  readonly rhoApproxOnly: number;
}

function sums(costs: readonly PrivacyCost[]): Sums {
  let naiveEpsilon = 0;
  let naiveDelta = 0;
  let approxEpsilon = 0;
  let approxDelta = 0;
  let rhoAll = 0;
  let pureEpsilon = 0;
  let rhoApproxOnly = 0;
  for (const cost of costs) {
    for (const p of cost) {
      naiveEpsilon += p.epsilon;
      if (p.measure === 'pure') {
        // ε-DP ⇒ (ε²/2)-zCDP: Bun & Steinke 2016, Prop. 1.4.
        rhoAll += pureEpsilonToRho(p.epsilon);
        pureEpsilon += p.epsilon;
      } else if (p.measure === 'zcdp') {
        naiveDelta += p.delta;
        rhoAll += p.rho;
        if (p.delta === 0) pureEpsilon += p.epsilon;
        else rhoApproxOnly += p.rho;
      } else {
        naiveDelta += p.delta;
        approxEpsilon += p.epsilon;
        approxDelta += p.delta;
      }
    }
  }
  return { naiveEpsilon, naiveDelta, approxEpsilon, approxDelta, rhoAll, pureEpsilon, rhoApproxOnly };
}

/**
 * ρ-zCDP plus naive (ε, δ) parts as one (ε, δ) at the δ cap: the ρ is converted with the tight
 * Canonne–Kamath–Steinke 2020 bound (Prop. 3 / Cor. 13; never worse than Bun & Steinke 2016,
 * Prop. 1.3: ε = ρ + 2√(ρ ln(1/δ))) at the δ the naive parts leave, and the naive ε is added
 * (basic composition). Without any δ left, no finite ε holds.
 */
function convertAtCap(
  rho: number,
  naiveEpsilon: number,
  naiveDelta: number,
  deltaCap: number,
  statement: CompositionStatement,
): ComposedCost {
  if (rho === 0) return { epsilon: naiveEpsilon, delta: naiveDelta, rho, statement };
  const deltaLeft = deltaCap - naiveDelta;
  if (!(deltaLeft > 0 && deltaLeft < 1)) return { epsilon: Infinity, delta: deltaCap, rho, statement };
  return { epsilon: rhoToEpsilon(rho, deltaLeft) + naiveEpsilon, delta: deltaCap, rho, statement };
}

/**
 * The one composer: what a set of releases spends together under `policy`.
 *
 * Three statements of the same releases, each a valid (ε, δ)-DP bound:
 * - (a) naive: (Σε, Σδ) of every part's own (ε, δ) (basic composition);
 * - (b) zcdp: every part with a ρ (pure ε as ρ = ε²/2, Bun & Steinke 2016, Prop. 1.4) in zCDP,
 *   the ρ added (Bun & Steinke 2016, Lemma 2.3) and converted once at the δ the approx parts
 *   leave of the cap (Canonne, Kamath, Steinke 2020, Prop. 3 / Cor. 13); approx parts naive;
 * - (c) hybrid: pure parts (and zCDP parts stated with δ = 0) and approx parts naive, only the
 *   other zCDP parts converted as in (b).
 *
 * `naive` states (a), `zcdp` states (b), and `best` the smallest ε among those whose δ fits the
 * cap: each is a valid bound, so their minimum is. Adding a release never lowers any of the
 * three, nor makes an invalid one valid, so the stated ε never decreases as releases are added.
 * When no statement fits the δ cap, (a) is returned (its δ is over the cap).
 *
 * @example
 * ```ts
 * composeCosts({ epsilonCap: 8, deltaCap: 1e-5, accounting: 'best' }, [pureCost(1), zcdpCost(0.01, 1e-6)]);
 * ```
 */
export function composeCosts(policy: BudgetPolicy, costs: readonly PrivacyCost[]): ComposedCost {
  const s = sums(costs);
  const naive: ComposedCost = {
    epsilon: s.naiveEpsilon,
    delta: s.naiveDelta,
    rho: 0,
    statement: 'naive',
  };
  if (policy.accounting === 'naive') return naive;
  const zcdp = convertAtCap(s.rhoAll, s.approxEpsilon, s.approxDelta, policy.deltaCap, 'zcdp');
  if (policy.accounting === 'zcdp') return zcdp;
  const hybrid = convertAtCap(
    s.rhoApproxOnly,
    s.pureEpsilon + s.approxEpsilon,
    s.approxDelta,
    policy.deltaCap,
    'hybrid',
  );
  const valid = [naive, hybrid, zcdp].filter(
    (c) => Number.isFinite(c.epsilon) && c.delta <= policy.deltaCap * (1 + 1e-9),
  );
  if (valid.length === 0) return naive;
  return valid.reduce((best, c) => (c.epsilon < best.epsilon ? c : best));
}

function checkPositive(x: number, name: string): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
    throw new DpParameterError(`${name} must be a finite number > 0, got ${String(x)}`);
  }
}
