import { Hono } from 'hono';
import { DpPipelineError } from '../errors.js';
import { statusFor } from './status.js';

/** What every route may need; routes added later extend this (lake, config, clock…). */
export interface HttpDeps {
  /** Package version reported by `/healthz`. */
  readonly version: string;
}

/**
 * The one HTTP app of dp-pipeline, on Web-standard `Request`/`Response` (Hono). It is served
 * by `node:http` locally (`dp-pipeline serve`, see `node-server.ts`) and by a catch-all
 * Azure Function in Azure; the runtime lives only in those adapters.
 *
 * Errors: a {@link DpPipelineError} becomes its status code (see `status.ts`) with a one-line
 * JSON body `{ error: { code, message } }`; anything else is a 500 without details.
 *
 * @example
 * ```ts
 * const app = createApp({ version: '0.1.0' });
 * const res = await app.fetch(new Request('http://localhost/healthz'));
 * ```
 */
export function createApp(deps: HttpDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version }));
  app.notFound((c) =>
    c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((err, c) => {
    if (err instanceof DpPipelineError) {
      return c.json({ error: { code: err.code, message: err.message } }, statusFor(err));
    }
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}
