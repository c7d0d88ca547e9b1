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

/**
 * Stored state (a table entity, a run report, a release record, a key file) that cannot be decoded
 * or does not match its recorded hash. Names the object and what to do. Exit 1 / HTTP 500.
 */
export class DamagedStateError extends DpPipelineError {
  constructor(
    readonly object: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('DAMAGED_STATE', message, options);
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
