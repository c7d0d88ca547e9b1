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
