import { BudgetExhaustedError, ConflictError, PreconditionFailedError } from '../errors.js';
import type { TableStore } from '../storage/index.js';

/** Floating-point slack when comparing sums of ε against a cap. */
const SLACK = 1e-9;
const MAX_ATTEMPTS = 20;

interface BudgetEntity {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly epsilon_spent: number;
  readonly epsilon_cap: number;
  readonly release_count: number;
  /** JSON object: release id → ε charged. A release is charged once, whatever happens. */
  readonly charges: string;
  readonly [property: string]: string | number | boolean | null;
}

export interface BudgetState {
  readonly metric: string;
  readonly period: string;
  readonly epsilonCap: number;
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
  readonly releaseCount: number;
}

/**
 * The privacy-budget ledger: per metric and calendar month, the ε spent by releases, against a
 * cap. Charges are idempotent per release id and ETag-guarded, so concurrent runs cannot both
 * spend the last of a month's budget. Composition is the naive sum (all releases here are pure
 * ε-DP discrete Laplace).
 */
export class BudgetLedger {
  constructor(
    private readonly table: TableStore,
    private readonly metric: string,
    private readonly cap: number,
  ) {}

  async state(period: string): Promise<BudgetState> {
    const stored = await this.table.get<BudgetEntity>(this.metric, period);
    const spent = stored?.entity.epsilon_spent ?? 0;
    return {
      metric: this.metric,
      period,
      epsilonCap: this.cap,
      epsilonSpent: spent,
      epsilonRemaining: Math.max(0, this.cap - spent),
      releaseCount: stored?.entity.release_count ?? 0,
    };
  }

  /** Whether `releaseId` has already been charged in `period`. */
  async isCharged(period: string, releaseId: string): Promise<boolean> {
    const stored = await this.table.get<BudgetEntity>(this.metric, period);
    return stored !== undefined && releaseId in parseCharges(stored.entity.charges);
  }

  /** Raises `BudgetExhaustedError` when `epsilon` more would exceed the cap. Spends nothing. */
  async check(period: string, epsilon: number): Promise<void> {
    const s = await this.state(period);
    if (s.epsilonSpent + epsilon > this.cap + SLACK) throw this.exhausted(s, epsilon);
  }

  /** Charges `epsilon` for `releaseId` once; a repeated charge of the same id is a no-op. */
  async charge(period: string, releaseId: string, epsilon: number): Promise<BudgetState> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.table.get<BudgetEntity>(this.metric, period);
      const charges = parseCharges(stored?.entity.charges);
      if (releaseId in charges) return this.state(period);
      const spent = stored?.entity.epsilon_spent ?? 0;
      if (spent + epsilon > this.cap + SLACK) {
        throw this.exhausted({ ...(await this.state(period)), epsilonSpent: spent }, epsilon);
      }
      charges[releaseId] = epsilon;
      const entity: BudgetEntity = {
        partitionKey: this.metric,
        rowKey: period,
        epsilon_spent: round(spent + epsilon),
        epsilon_cap: this.cap,
        release_count: Object.keys(charges).length,
        charges: JSON.stringify(charges),
      };
      try {
        if (stored) await this.table.update(entity, stored.etag);
        else await this.table.create(entity);
        return this.state(period);
      } catch (err) {
        if (err instanceof PreconditionFailedError || err instanceof ConflictError) continue; // lost a race: re-read
        throw err;
      }
    }
    throw new Error(`budget ledger for ${this.metric} ${period} is too contended; retry the run`);
  }

  private exhausted(s: BudgetState, wanted: number): BudgetExhaustedError {
    return new BudgetExhaustedError(
      `privacy budget exhausted for ${this.metric} in ${s.period}: spent ε=${s.epsilonSpent} of cap ${this.cap}; the requested release(s) need ε=${wanted} more; raise budget.monthly_epsilon_cap only if your privacy policy allows`,
      { period: s.period, epsilonSpent: s.epsilonSpent, epsilonCap: this.cap },
    );
  }
}

function parseCharges(text: string | undefined): Record<string, number> {
  return text ? (JSON.parse(text) as Record<string, number>) : {};
}

function round(x: number): number {
  return Math.round(x * 1e12) / 1e12;
}
