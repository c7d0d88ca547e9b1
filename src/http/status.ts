import {
  BudgetExhaustedError,
  ConflictError,
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
  return 500;
}
