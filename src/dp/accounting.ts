import { checkEpsilon, DpParameterError } from './errors.js';
import { rationalFromNumber, type Rational } from './rational.js';

/**
 * Privacy accounting: conversions between pure ε-DP, ρ-zCDP and (ε, δ)-DP, two accountants that
 * add up what a set of releases spends, and an exact split of a budget by weights.
 *
 * Which accountant: releases with discrete Laplace noise only compose well enough naively
 * (ε and δ add up). As soon as Gaussian noise is involved, zCDP composes much more tightly:
 * every mechanism enters as ρ (pure-ε mechanisms as ε²/2), the ρ add up, and the total is turned
 * into (ε, δ) once with the tight CKS 2020 conversion.
 */

/**
 * ε-DP implies (ε²/2)-zCDP (Bun & Steinke 2016, Prop. 1.4).
 *
 * @example
 * ```ts
 * pureEpsilonToRho(1); // 0.5
 * ```
 */
export function pureEpsilonToRho(epsilon: number): number {
  checkEpsilon(epsilon);
  return (epsilon * epsilon) / 2;
}

/**
 * The δ such that ρ-zCDP implies (ε, δ)-DP, tight conversion of Canonne, Kamath, Steinke 2020
 * (Prop. 12 / Cor. 13): δ = inf over α > 1 of exp((α−1)(αρ−ε)) / (α−1) · (1 − 1/α)^α, capped at 1.
 * The infimum is located by bisection on the derivative of the exponent
 * (2α−1)ρ − ε + ln(1 − 1/α), as OpenDP's `cdp_delta` does; any α > 1 gives a valid bound, so the
 * result is never smaller than the true infimum by more than rounding.
 *
 * @example
 * ```ts
 * rhoToDelta(0.1, 1.914239); // ≈ 1e-5
 * ```
 */
export function rhoToDelta(rho: number, epsilon: number): number {
  checkNonNegative(rho, 'rho');
  if (typeof epsilon !== 'number' || Number.isNaN(epsilon) || epsilon < 0) {
    throw new DpParameterError(`epsilon must be a number >= 0, got ${String(epsilon)}`);
  }
  if (rho === 0 || epsilon === Infinity) return 0;
  if (rho === Infinity) return 1;
  let aMin = 1.01;
  let aMax = (epsilon + 1) / (2 * rho) + 2;
  for (let i = 0; i < 2000; i++) {
    const mid = (aMin + aMax) / 2;
    if (mid === aMin || mid === aMax) break;
    const derivative = (2 * mid - 1) * rho - epsilon + Math.log1p(-1 / mid);
    if (derivative < 0) aMin = mid;
    else aMax = mid;
  }
  const a = aMax;
  const delta = Math.exp((a - 1) * (a * rho - epsilon) + a * Math.log1p(-1 / a)) / (a - 1);
  return Math.min(1, delta);
}

/**
 * The ε such that ρ-zCDP implies (ε, δ)-DP: the smallest ε with {@link rhoToDelta}(ρ, ε) <= δ,
 * by bisection (returning the upper end, so the stated ε is always valid), and never more than
 * the simple bound ε = ρ + 2√(ρ·ln(1/δ)) (Bun & Steinke 2016, Prop. 1.3), which is also valid.
 *
 * @example
 * ```ts
 * rhoToEpsilon(0.1, 1e-5); // ≈ 1.914239 (the simple bound gives 2.245966)
 * ```
 */
export function rhoToEpsilon(rho: number, delta: number): number {
  checkNonNegative(rho, 'rho');
  checkDelta(delta);
  if (rho === 0) return 0;
  const simple = simpleRhoToEpsilon(rho, delta);
  let lo = 0;
  let hi = simple;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (rhoToDelta(rho, mid) <= delta) hi = mid;
    else lo = mid;
  }
  return Math.min(hi, simple);
}

/**
 * ρ + 2√(ρ·ln(1/δ)): the simple zCDP → (ε, δ) conversion (Bun & Steinke 2016, Prop. 1.3), a
 * check on (and upper bound of) {@link rhoToEpsilon}.
 */
export function simpleRhoToEpsilon(rho: number, delta: number): number {
  checkNonNegative(rho, 'rho');
  checkDelta(delta);
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

/**
 * The largest ρ whose zCDP guarantee implies (ε, δ)-DP, i.e. rhoToEpsilon(ρ, δ) <= ε (bisection,
 * returning the lower end so the guarantee is never weaker). This is how a Gaussian mechanism is
 * calibrated from an (ε, δ) budget: σ² = Δ₂²/(2ρ).
 *
 * @example
 * ```ts
 * rhoForEpsilonDelta(1.914239, 1e-5); // ≈ 0.1
 * ```
 */
export function rhoForEpsilonDelta(epsilon: number, delta: number): number {
  checkEpsilon(epsilon);
  checkDelta(delta);
  // ε >= ρ always, so ρ lies in (0, ε].
  let lo = 0;
  let hi = epsilon;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (rhoToDelta(mid, epsilon) <= delta) lo = mid;
    else hi = mid;
  }
  if (!(lo > 0)) {
    throw new DpParameterError(`no ρ > 0 satisfies (ε = ${epsilon}, δ = ${delta}); raise epsilon or delta`);
  }
  return lo;
}

/** One entry in an accountant's log. */
export interface AccountantEntry {
  readonly label: string;
  readonly epsilon?: number;
  readonly delta?: number;
  readonly rho?: number;
}

/**
 * Basic sequential composition of (ε, δ)-DP releases: ε and δ add up. Right for pure-ε
 * (Laplace) releases; wasteful for Gaussian ones (use {@link ZcdpAccountant}).
 *
 * @example
 * ```ts
 * const acc = new NaiveAccountant();
 * acc.spend({ epsilon: 0.5 }, 'pageviews').spend({ epsilon: 0.3, delta: 1e-6 }, 'countries');
 * acc.total(); // { epsilon: 0.8, delta: 1e-6 }
 * ```
 */
export class NaiveAccountant {
  #epsilon = 0;
  #delta = 0;
  readonly #entries: AccountantEntry[] = [];

  /** Records one release's (ε, δ); returns the accountant for chaining. */
  spend(cost: { readonly epsilon: number; readonly delta?: number }, label = 'release'): this {
    checkEpsilon(cost.epsilon);
    const delta = cost.delta ?? 0;
    if (delta !== 0) checkDelta(delta);
    this.#epsilon += cost.epsilon;
    this.#delta += delta;
    this.#entries.push(Object.freeze({ label, epsilon: cost.epsilon, delta }));
    return this;
  }

  /** The (ε, δ) spent so far. */
  total(): { epsilon: number; delta: number } {
    return { epsilon: this.#epsilon, delta: this.#delta };
  }

  /** What was spent, in order. */
  entries(): readonly AccountantEntry[] {
    return [...this.#entries];
  }
}

/**
 * Composition in zero-concentrated DP: every release enters as ρ (Gaussian and discrete
 * Gaussian: ρ = Δ₂²/(2σ²); pure ε-DP: ρ = ε²/2), the ρ add up (Bun & Steinke 2016, Lemma 2.3),
 * and {@link ZcdpAccountant.epsilon} converts the total to (ε, δ) with the tight CKS bound.
 *
 * @example
 * ```ts
 * const acc = new ZcdpAccountant();
 * acc.spend({ rho: 0.05 }, 'dau').spend({ epsilon: 0.1 }, 'count'); // 0.05 + 0.005
 * acc.total();          // { rho: 0.055 }
 * acc.epsilon(1e-6);    // the (ε, 1e-6)-DP guarantee of everything spent
 * ```
 */
export class ZcdpAccountant {
  #rho = 0;
  readonly #entries: AccountantEntry[] = [];

  /** Records one release, as {rho} or as a pure {epsilon}; returns the accountant for chaining. */
  spend(cost: { readonly rho: number } | { readonly epsilon: number }, label = 'release'): this {
    let rho: number;
    if ('rho' in cost) {
      checkNonNegative(cost.rho, 'rho');
      if (!Number.isFinite(cost.rho)) throw new DpParameterError(`rho must be finite, got ${cost.rho}`);
      rho = cost.rho;
      this.#entries.push(Object.freeze({ label, rho }));
    } else {
      rho = pureEpsilonToRho(cost.epsilon);
      this.#entries.push(Object.freeze({ label, epsilon: cost.epsilon, rho }));
    }
    this.#rho += rho;
    return this;
  }

  /** The ρ spent so far. */
  total(): { rho: number } {
    return { rho: this.#rho };
  }

  /** The ε of the (ε, δ)-DP guarantee implied by everything spent (tight CKS 2020 conversion). */
  epsilon(delta: number): number {
    return rhoToEpsilon(this.#rho, delta);
  }

  /** What was spent, in order. */
  entries(): readonly AccountantEntry[] {
    return [...this.#entries];
  }
}

/**
 * Splits a budget by declared weights: part_k = total · w_k / Σw, each rounded so that the parts
 * never sum to more than the total (checked in exact rational arithmetic on the doubles; a part
 * is lowered by an ulp at a time until the exact sum fits). Splits a number, or an
 * {epsilon, delta} pair component-wise.
 *
 * @example
 * ```ts
 * splitBudget(1, { pageviews: 2, countries: 1, mean: 1 }); // { pageviews: 0.5, countries: 0.25, mean: 0.25 }
 * splitBudget({ epsilon: 1, delta: 1e-5 }, { a: 1, b: 1 }); // { a: { epsilon: 0.5, delta: 5e-6 }, b: … }
 * ```
 */
export function splitBudget(total: number, weights: Readonly<Record<string, number>>): Record<string, number>;
export function splitBudget(
  total: { readonly epsilon: number; readonly delta: number },
  weights: Readonly<Record<string, number>>,
): Record<string, { epsilon: number; delta: number }>;
export function splitBudget(
  total: number | { readonly epsilon: number; readonly delta: number },
  weights: Readonly<Record<string, number>>,
): Record<string, number> | Record<string, { epsilon: number; delta: number }> {
  if (typeof total === 'object' && total !== null) {
    const eps = splitNumber(total.epsilon, weights, 'epsilon');
    const delta = splitNumber(total.delta, weights, 'delta');
    const out: Record<string, { epsilon: number; delta: number }> = {};
    for (const key of Object.keys(weights)) out[key] = { epsilon: eps[key]!, delta: delta[key]! };
    return out;
  }
  return splitNumber(total, weights, 'total');
}

function splitNumber(
  total: number,
  weights: Readonly<Record<string, number>>,
  name: string,
): Record<string, number> {
  if (typeof total !== 'number' || !Number.isFinite(total) || total < 0) {
    throw new DpParameterError(`${name} budget must be a finite number >= 0, got ${String(total)}`);
  }
  const keys = Object.keys(weights);
  if (keys.length === 0) throw new DpParameterError('splitBudget needs at least one weight');
  let sum = 0;
  for (const key of keys) {
    const w = weights[key]!;
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
      throw new DpParameterError(`weight of "${key}" must be a finite number > 0, got ${String(w)}`);
    }
    sum += w;
  }
  const parts: Record<string, number> = {};
  for (const key of keys) parts[key] = (total * weights[key]!) / sum;
  const totalR = rationalFromNumber(total);
  // Lower the largest part by one ulp until the exact sum is within the total (rarely more than a step or two).
  while (
    exceeds(
      keys.map((k) => rationalFromNumber(parts[k]!)),
      totalR,
    )
  ) {
    const largest = keys.reduce((a, b) => (parts[b]! > parts[a]! ? b : a));
    parts[largest] = nextDown(parts[largest]!);
  }
  return parts;
}

/** Σ parts > total, exactly (all denominators are powers of two). */
function exceeds(parts: readonly Rational[], total: Rational): boolean {
  let den = total.den;
  for (const p of parts) if (p.den > den) den = p.den;
  let num = 0n;
  for (const p of parts) num += p.num * (den / p.den);
  return num > total.num * (den / total.den);
}

function nextDown(x: number): number {
  if (x <= 0) return 0;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}

function checkNonNegative(x: number, name: string): void {
  if (typeof x !== 'number' || Number.isNaN(x) || x < 0) {
    throw new DpParameterError(`${name} must be a number >= 0, got ${String(x)}`);
  }
}

/** Throws unless 0 < δ < 1. */
export function checkDelta(delta: number, name = 'delta'): void {
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) {
    throw new DpParameterError(`${name} must be a number in (0, 1), got ${String(delta)}`);
  }
}
