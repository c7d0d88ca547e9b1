/**
 * The few error classes of dp-pipeline. Each has a stable `code`; the CLI maps them to exit
 * codes and the HTTP layer to status codes, each in one place.
 */
export class DpPipelineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input from the user (config, flags, files): a one-line message saying what to do. Exit 1 / HTTP 400. */
export class UserError extends DpPipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USER_ERROR', message, options);
  }
}

/** A release would exceed the privacy budget cap. Exit 3 / HTTP 429. Nothing is written. */
export class BudgetExhaustedError extends DpPipelineError {
  constructor(
    message: string,
    readonly details: { readonly period: string; readonly epsilonSpent: number; readonly epsilonCap: number },
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
