import {
  BudgetExhaustedError,
  DamagedStateError,
  DataPendingError,
  DpParameterError,
  DpPipelineError,
  NotFoundError,
  UserError,
} from '../errors.js';
import type { ErrorCode } from './schemas.js';

/** The flat error body every error answer has (429 and 409 add fields to it). */
export interface ErrorBody {
  readonly error: ErrorCode;
  readonly message: string;
  readonly hint: string;
}

export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 429 | 500;

/** What to do, per code: the `hint` of the body unless an error says more. */
const HINTS: Readonly<Record<ErrorCode, string>> = {
  unauthorized: 'send a valid key in the X-API-Key header (one of the operator’s DP_API_KEYS)',
  invalid_request: 'fix the request as the message says; GET /openapi.json describes every route',
  not_found: 'check the method and path against GET /openapi.json',
  payload_too_large: 'send fewer events per request',
  budget_exhausted: 'ask again after next_reset, or ask for a release already made (they are free)',
  data_pending: 'ask again after Retry-After seconds, once the pipeline has processed the new data',
  misconfigured: 'the operator has to fix the service configuration (the server log says what)',
  internal: 'retry later; if it persists, the operator has to look at the server log',
};

const STATUS: Readonly<Record<ErrorCode, ErrorStatus>> = {
  unauthorized: 401,
  invalid_request: 400,
  not_found: 404,
  payload_too_large: 413,
  budget_exhausted: 429,
  data_pending: 409,
  misconfigured: 500,
  internal: 500,
};

/** The one place an error code gets its status and default hint. */
export function errorAnswer(
  code: ErrorCode,
  message: string,
  hint: string = HINTS[code],
): { status: ErrorStatus; body: ErrorBody } {
  return { status: STATUS[code], body: { error: code, message, hint } };
}

/** The one place our typed errors become wire error codes. */
export function codeFor(err: DpPipelineError): ErrorCode {
  if (err instanceof UserError || err instanceof DpParameterError) return 'invalid_request';
  if (err instanceof NotFoundError) return 'not_found';
  if (err instanceof DataPendingError) return 'data_pending';
  if (err instanceof BudgetExhaustedError) return 'budget_exhausted';
  // The operator's stored state is damaged (DamagedStateError), or a storage race escaped its
  // retries (ConflictError, PreconditionFailedError): not the client's fault.
  return 'internal';
}

/** The HTTP status of a typed error. */
export function statusFor(err: DpPipelineError): ErrorStatus {
  return STATUS[codeFor(err)];
}

const DAMAGED =
  "the service's stored state is damaged; the operator has to repair it (the server log says what and how)";

/**
 * The flat JSON error body of a typed error. A damaged state's message names the operator's
 * files and keys, and other internal errors may too, so the client gets only what happened; the
 * server log gets the whole message.
 */
export function errorBodyFor(err: DpPipelineError): ErrorBody {
  const code = codeFor(err);
  if (err instanceof DamagedStateError) {
    return errorAnswer(code, DAMAGED, 'retry later; the operator has to restore or repair the stored state')
      .body;
  }
  if (code === 'internal') return errorAnswer(code, 'internal error').body;
  return errorAnswer(code, err.message).body;
}
