/**
 * The few error classes of dp-pipeline. Each has a stable `code`; the CLI maps them to exit
 * codes and the HTTP layer to status codes, each in one place.
 *
 * The base class and `DpParameterError` (code `DP_PARAMETER`: a DP parameter out of range, a
 * user error) are defined in `dp/`, which imports nothing of ours, and re-exported here.
 */
import { DpPipelineError } from './dp/index.js';

export { DpParameterError, DpPipelineError } from './dp/index.js';

/** Bad input from the user (config, flags, files): a one-line message saying what to do. Exit 1 / HTTP 400. */
export class UserError extends DpPipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USER_ERROR', message, options);
  }
}

/** A release would exceed a privacy budget cap. Exit 3 / HTTP 429. Nothing is written. */
export class BudgetExhaustedError extends DpPipelineError {
  constructor(
    message: string,
    readonly details: {
      /** The metric of the refused release (also when the total cap was hit). */
      readonly metric: string;
      /** Which cap was hit: the metric's own, or the month's per-person total over every metric. */
      readonly limit: 'metric' | 'total';
      readonly period: string;
      /** Spent of that cap before the refused release(s). */
      readonly epsilonSpent: number;
      readonly epsilonCap: number;
      readonly deltaSpent: number;
      readonly deltaCap: number;
    },
  ) {
    super('BUDGET_EXHAUSTED', message);
  }
}

/** A conditional create found the object or entity already there (HTTP 409). */
export class ConflictError extends DpPipelineError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** A conditional write found a different version than the ETag it was given (HTTP 412). */
export class PreconditionFailedError extends DpPipelineError {
  constructor(message: string) {
    super('PRECONDITION_FAILED', message);
  }
}

/** The object or entity does not exist (HTTP 404). */
export class NotFoundError extends DpPipelineError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/**
 * Stored state that cannot be decoded: a table entity, run report or key file that is truncated,
 * garbled or of the wrong shape. It is the operator's state, not the caller's input, and it stays
 * damaged until someone repairs it, so the message says what to do and what that costs.
 * Exit 1 (the operator can fix it) / HTTP 500 (the client cannot).
 *
 * @example
 * ```ts
 * throw new DamagedStateError(
 *   'checkpoints entity (scan, claim) in ./lake/tables/checkpoints/scan/claim.json',
 *   'not valid JSON: it ends early',
 *   'delete it to reset the scan claim',
 * );
 * // message: "checkpoints entity (scan, claim) in … is damaged (not valid JSON: it ends early): delete it to reset the scan claim"
 * ```
 */
export class DamagedStateError extends DpPipelineError {
  constructor(
    /** What is damaged, named so an operator can find it (table, partition and row; file path). */
    readonly object: string,
    /** What is wrong with it, in one line, without its values (they may be keys or pseudonyms). */
    readonly problem: string,
    /** What to do: restore it, or delete it and what deleting it costs. */
    readonly remedy: string,
    options?: { cause?: unknown },
  ) {
    super('DAMAGED_STATE', `${object} is damaged (${problem}): ${remedy}`, options);
  }
}

/**
 * A window cannot be released yet: Bronze data that could hold rows for it is not processed. Nothing
 * is computed or spent. Exit 1 / HTTP 409 with `Retry-After`.
 */
export class DataPendingError extends DpPipelineError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('DATA_PENDING', message);
  }
}

/** Who holds a lease: enough for a person to find the process, never user data. */
export interface LeaseOwner {
  /** The holder's run (or operation) id. */
  readonly runId: string;
  /** The command holding it: `run`, `flush-deletes`, `rotate-key`, `rebuild-activity`. */
  readonly command: string;
  readonly pid: number;
  readonly host: string;
  /** ISO time the lease was taken. */
  readonly since: string;
}

/**
 * Another live writer holds the lake's lease (exit 4). `holder` says who; nothing was written.
 */
export class LeaseHeldError extends DpPipelineError {
  constructor(
    message: string,
    readonly holder: LeaseOwner,
  ) {
    super('LEASE_HELD', message);
  }
}

/**
 * This writer lost the lake's lease (its heartbeat stopped long enough for another writer to take
 * over): it stops before its next commit step, so its uncommitted work is discarded (exit 4).
 */
export class LeaseLostError extends DpPipelineError {
  constructor(message: string) {
    super('LEASE_LOST', message);
  }
}
