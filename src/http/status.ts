import {
  BudgetExhaustedError,
  ConflictError,
  DamagedStateError,
  DataPendingError,
  DpParameterError,
  DpPipelineError,
  NotFoundError,
  PreconditionFailedError,
  UserError,
} from '../errors.js';

/** The one place our typed errors become HTTP status codes. */
export function statusFor(err: DpPipelineError): 400 | 404 | 409 | 412 | 429 | 500 {
  if (err instanceof UserError || err instanceof DpParameterError) return 400;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError || err instanceof DataPendingError) return 409;
  if (err instanceof PreconditionFailedError) return 412;
  if (err instanceof BudgetExhaustedError) return 429;
  // The operator's stored state is damaged: not the client's fault, and it lasts until repaired.
  if (err instanceof DamagedStateError) return 500;
  return 500;
}

/**
 * The JSON error body of a typed error. A damaged state's message names the operator's files
 * and keys, so the client gets only what happened; the server log gets the whole message.
 */
export function errorBodyFor(err: DpPipelineError): { code: string; message: string } {
  if (err instanceof DamagedStateError)
    return {
      code: err.code,
      message:
        "the service's stored state is damaged; the operator has to repair it (the server log says what and how)",
    };
  return { code: err.code, message: err.message };
}
