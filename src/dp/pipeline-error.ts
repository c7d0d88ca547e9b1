/**
 * The base class of every dp-pipeline error: a stable `code` that the CLI maps to an exit code
 * (`src/cli/exit.ts`) and the HTTP layer to a status code (`src/http/status.ts`), each in one
 * place. It lives in `dp/`, the innermost layer, so that `dp/` — which imports nothing outside
 * itself — raises errors of the same family as everything else; `src/errors.ts` re-exports it
 * beside the other error classes, and code outside `dp/` imports it from there.
 *
 * @example
 * ```ts
 * class LaunchError extends DpPipelineError {
 *   constructor(message: string) {
 *     super('LAUNCH_FAILED', message);
 *   }
 * }
 * ```
 */
export class DpPipelineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
