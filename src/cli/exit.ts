import {
  BudgetExhaustedError,
  DamagedStateError,
  DataPendingError,
  DpParameterError,
  LeaseHeldError,
  LeaseLostError,
  UserError,
} from '../errors.js';
import { LaunchError } from '../pipeline/launch/index.js';

export const EXIT = { ok: 0, user: 1, internal: 2, budget: 3, lakeInUse: 4 } as const;

/** The one place errors become exit codes and one-line messages. */
export function exitCodeFor(err: unknown): { code: number; message: string } {
  if (err instanceof BudgetExhaustedError)
    return { code: EXIT.budget, message: `dp-pipeline: ${err.message}` };
  if (err instanceof UserError || err instanceof DpParameterError || err instanceof DataPendingError)
    return { code: EXIT.user, message: `dp-pipeline: ${err.message}` };
  // The operator's state, which the operator can repair: one line (keys may hold newlines), no trace.
  if (err instanceof DamagedStateError)
    return { code: EXIT.user, message: `dp-pipeline: ${err.message.replace(/\s*[\r\n]+\s*/g, ' ')}` };
  if (err instanceof LeaseHeldError || err instanceof LeaseLostError)
    return { code: EXIT.lakeInUse, message: `dp-pipeline: ${err.message}` };
  // The job did not start, or (local launcher) ran and failed after printing its own error: one
  // line naming the job, no trace of the launcher's stack.
  if (err instanceof LaunchError) return { code: EXIT.internal, message: `dp-pipeline: ${err.message}` };
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return {
    code: EXIT.internal,
    message: `dp-pipeline: internal error (a bug, or the storage failed): ${detail}`,
  };
}
