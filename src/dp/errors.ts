import { DpPipelineError } from './pipeline-error.js';

/**
 * A DP parameter is out of its valid range (ε not a positive finite number, a contribution bound
 * that is not a positive integer, value bounds with lo ≥ hi, …). The message is one line naming
 * the parameter and the offending value.
 *
 * A {@link DpPipelineError} with code `DP_PARAMETER`: the CLI maps it to exit 1 and the HTTP
 * layer to 400, like a user error (the parameters come from the config or the request).
 *
 * @example
 * ```ts
 * try {
 *   countMechanism(0, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 });
 * } catch (e) {
 *   if (e instanceof DpParameterError) console.error(e.code, e.message); // DP_PARAMETER epsilon must be …
 * }
 * ```
 */
export class DpParameterError extends DpPipelineError {
  declare readonly code: 'DP_PARAMETER';
  constructor(message: string) {
    super('DP_PARAMETER', message);
  }
}

/** Throws unless `epsilon` is a finite number > 0. */
export function checkEpsilon(epsilon: number, name = 'epsilon'): void {
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) {
    throw new DpParameterError(`${name} must be a finite number > 0, got ${String(epsilon)}`);
  }
}

/** Throws unless `x` is a positive safe integer. */
export function checkPositiveInteger(x: number, name: string): void {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) {
    throw new DpParameterError(`${name} must be a positive integer, got ${String(x)}`);
  }
}

/** Throws unless `x` is a finite number. */
export function checkFinite(x: number, name: string): void {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new DpParameterError(`${name} must be a finite number, got ${String(x)}`);
  }
}
