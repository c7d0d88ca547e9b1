import { NaiveAccountant, pureEpsilonToRho, ZcdpAccountant } from '../dp/index.js';
import { BudgetExhaustedError, ConflictError, PreconditionFailedError } from '../errors.js';
import type { TableStore } from '../storage/index.js';

/** Floating-point slack when comparing sums of ε against a cap. */
const SLACK = 1e-9;
const MAX_ATTEMPTS = 20;

/**
 * What one release spends. `epsilon`/`delta` is its (ε, δ)-DP guarantee on its own (what naive
 * accounting adds up). `zcdp` splits it for zCDP accounting: the part that composes as ρ (Laplace
 * and Gaussian noise) and an (ε, δ) part composed on top by basic composition (e.g. private
 * partition selection, which is not zCDP). Without `zcdp`, a pure release (δ = 0) enters zCDP
 * accounting as ρ = ε²/2 and any other as an (ε, δ) part.
 */
export interface PrivacyCost {
  readonly epsilon: number;
  readonly delta?: number;
  readonly zcdp?: { readonly rho: number; readonly epsilon: number; readonly delta: number };
}

/** The monthly caps and how releases compose against them. */
export interface BudgetPolicy {
  readonly epsilonCap: number;
  readonly deltaCap: number;
  readonly accounting: 'naive' | 'zcdp';
}

interface BudgetEntity {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly epsilon_spent: number;
  readonly epsilon_cap: number;
  readonly delta_spent: number;
  readonly rho_spent: number;
  readonly accounting: string;
  readonly release_count: number;
  /** JSON object: release id → cost charged (a number is a pure ε). A release is charged once. */
  readonly charges: string;
  readonly [property: string]: string | number | boolean | null;
}

export interface BudgetState {
  readonly metric: string;
  readonly period: string;
  readonly accounting: 'naive' | 'zcdp';
  readonly epsilonCap: number;
  /** ε of the composed (ε, δ) guarantee of everything released in the period. */
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
  readonly deltaCap: number;
  readonly deltaSpent: number;
  /** zCDP accounting: the ρ spent (0 under naive accounting). */
  readonly rhoSpent: number;
  readonly releaseCount: number;
}

/**
 * The privacy-budget ledger: per metric and calendar month, what releases spent, composed with
 * the configured accountant (naive: ε and δ add up; zCDP: ρ adds up and is converted to (ε, δ)
 * with the tight CKS 2020 bound, using the δ cap left after the non-zCDP parts), against the
 * caps. Charges are idempotent per release id and ETag-guarded, so concurrent runs cannot both
 * spend the last of a month's budget.
 */
export class BudgetLedger {
  private readonly policy: BudgetPolicy;

  /** `cap` alone means naive accounting of pure-ε releases with that ε cap. */
  constructor(
    private readonly table: TableStore,
    private readonly metric: string,
    cap: number | BudgetPolicy,
  ) {
    this.policy = typeof cap === 'number' ? { epsilonCap: cap, deltaCap: 0, accounting: 'naive' } : cap;
  }

  async state(period: string): Promise<BudgetState> {
    const stored = await this.table.get<BudgetEntity>(this.metric, period);
    return this.stateOf(period, Object.values(parseCharges(stored?.entity.charges)));
  }

  /** Whether `releaseId` has already been charged in `period`. */
  async isCharged(period: string, releaseId: string): Promise<boolean> {
    const stored = await this.table.get<BudgetEntity>(this.metric, period);
    return stored !== undefined && releaseId in parseCharges(stored.entity.charges);
  }

  /** Raises `BudgetExhaustedError` when spending `cost` (one or several releases) would exceed a cap. Spends nothing. */
  async check(period: string, cost: number | PrivacyCost | readonly PrivacyCost[]): Promise<void> {
    const stored = await this.table.get<BudgetEntity>(this.metric, period);
    const before = Object.values(parseCharges(stored?.entity.charges));
    const wanted = (Array.isArray(cost) ? cost : [cost]).map(asCost);
    const after = this.stateOf(period, [...before, ...wanted]);
    if (this.over(after)) throw this.exhausted(this.stateOf(period, before), after);
  }

  /** Charges `cost` for `releaseId` once; a repeated charge of the same id is a no-op. */
  async charge(period: string, releaseId: string, cost: number | PrivacyCost): Promise<BudgetState> {
    const c = asCost(cost);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.table.get<BudgetEntity>(this.metric, period);
      const charges = parseCharges(stored?.entity.charges);
      if (releaseId in charges) return this.stateOf(period, Object.values(charges));
      const before = this.stateOf(period, Object.values(charges));
      charges[releaseId] = c;
      const after = this.stateOf(period, Object.values(charges));
      if (this.over(after)) throw this.exhausted(before, after);
      const entity: BudgetEntity = {
        partitionKey: this.metric,
        rowKey: period,
        epsilon_spent: after.epsilonSpent,
        epsilon_cap: this.policy.epsilonCap,
        delta_spent: after.deltaSpent,
        rho_spent: after.rhoSpent,
        accounting: this.policy.accounting,
        release_count: after.releaseCount,
        charges: JSON.stringify(charges),
      };
      try {
        if (stored) await this.table.update(entity, stored.etag);
        else await this.table.create(entity);
        return after;
      } catch (err) {
        if (err instanceof PreconditionFailedError || err instanceof ConflictError) continue; // lost a race: re-read
        throw err;
      }
    }
    throw new Error(`budget ledger for ${this.metric} ${period} is too contended; retry the run`);
  }

  private over(s: BudgetState): boolean {
    return (
      s.epsilonSpent > this.policy.epsilonCap + SLACK || s.deltaSpent > this.policy.deltaCap * (1 + 1e-9)
    );
  }

  private stateOf(period: string, costs: readonly PrivacyCost[]): BudgetState {
    const { epsilon, delta, rho } = composeCosts(this.policy, costs);
    return {
      metric: this.metric,
      period,
      accounting: this.policy.accounting,
      epsilonCap: this.policy.epsilonCap,
      epsilonSpent: round(epsilon),
      epsilonRemaining: Math.max(0, round(this.policy.epsilonCap - epsilon)),
      deltaCap: this.policy.deltaCap,
      deltaSpent: delta,
      rhoSpent: rho,
      releaseCount: costs.length,
    };
  }

  private exhausted(before: BudgetState, after: BudgetState): BudgetExhaustedError {
    const wanted = round(after.epsilonSpent - before.epsilonSpent);
    const epsilonOver = after.epsilonSpent > this.policy.epsilonCap + SLACK;
    const what = epsilonOver
      ? `the requested release(s) need ε=${Number.isFinite(wanted) ? wanted : 'unbounded'} more`
      : `they need δ=${after.deltaSpent} in all, over the cap budget.monthly_delta_cap=${this.policy.deltaCap}`;
    return new BudgetExhaustedError(
      `privacy budget exhausted for ${this.metric} in ${before.period}: spent ε=${before.epsilonSpent} of cap ${this.policy.epsilonCap}; ${what} (${this.policy.accounting} accounting); raise budget.monthly_epsilon_cap only if your privacy policy allows`,
      { period: before.period, epsilonSpent: before.epsilonSpent, epsilonCap: this.policy.epsilonCap },
    );
  }
}

/**
 * What a set of releases spends together under `policy`: naive (ε and δ add up) or zCDP (the ρ
 * parts add up and are converted to (ε, δ) with the tight CKS 2020 bound at the δ the (ε, δ)
 * parts leave of the cap; the (ε, δ) parts are added on top by basic composition).
 */
export function composeCosts(
  policy: BudgetPolicy,
  costs: readonly PrivacyCost[],
): { epsilon: number; delta: number; rho: number } {
  if (policy.accounting === 'naive') {
    const acc = new NaiveAccountant();
    for (const c of costs) if (c.epsilon > 0) acc.spend({ epsilon: c.epsilon, delta: c.delta ?? 0 });
    return { ...acc.total(), rho: 0 };
  }
  const acc = new ZcdpAccountant();
  const approx = new NaiveAccountant();
  for (const c of costs) {
    const z =
      c.zcdp ??
      ((c.delta ?? 0) === 0
        ? { rho: pureEpsilonToRho(c.epsilon), epsilon: 0, delta: 0 }
        : { rho: 0, epsilon: c.epsilon, delta: c.delta ?? 0 });
    if (z.rho > 0) acc.spend({ rho: z.rho });
    if (z.epsilon > 0) approx.spend({ epsilon: z.epsilon, delta: z.delta });
  }
  const rho = acc.total().rho;
  const a = approx.total();
  if (rho === 0) return { epsilon: a.epsilon, delta: a.delta, rho };
  const deltaForRho = policy.deltaCap - a.delta;
  const rhoEpsilon = deltaForRho > 0 ? acc.epsilon(deltaForRho) : Infinity;
  // With a ρ part the guarantee is stated at the δ cap (the conversion uses all that is left).
  return { epsilon: rhoEpsilon + a.epsilon, delta: Math.max(a.delta, policy.deltaCap), rho };
}

function asCost(cost: number | PrivacyCost): PrivacyCost {
  return typeof cost === 'number' ? { epsilon: cost, delta: 0 } : cost;
}

function parseCharges(text: string | undefined): Record<string, PrivacyCost> {
  if (!text) return {};
  const raw = JSON.parse(text) as Record<string, number | PrivacyCost>;
  const out: Record<string, PrivacyCost> = {};
  for (const [id, c] of Object.entries(raw)) out[id] = asCost(c);
  return out;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e12) / 1e12 : x;
}
