import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ActiveUsers, type ActivityCounts } from '../active-users/index.js';
import { openActivity } from '../activity/index.js';
import type { PipelineConfig } from '../config/index.js';
import type { RandomSource } from '../dp/index.js';
import { DataPendingError, DpPipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Lake } from '../storage/index.js';
import { addActiveUsersRoutes } from './active-users-routes.js';
import { apiKeyAuth } from './auth.js';
import { HttpMetrics } from './metrics.js';
import { errorBodyFor, statusFor } from './status.js';

/** Default cap on request bodies; larger ones get 413. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** What every route may need. Without `lake` and `config`, only `/healthz` and `/metrics` exist. */
export interface HttpDeps {
  /** Package version reported by `/healthz`. */
  readonly version: string;
  readonly lake?: Lake;
  readonly config?: PipelineConfig;
  /** Now, for deciding which days are closed; default the system clock. */
  readonly clock?: () => Date;
  /**
   * Accepted `X-API-Key` values (`DP_API_KEYS`). Required when the data routes are served,
   * unless `insecureNoAuth` says otherwise (local experiments only).
   */
  readonly apiKeys?: readonly string[];
  readonly insecureNoAuth?: boolean;
  /** Exact counts; default the lake's activity ledger (`openActivity`). */
  readonly counts?: () => Promise<ActivityCounts>;
  /** Tests only: a seeded noise source. */
  readonly rng?: () => RandomSource;
  readonly log?: Logger;
  readonly maxBodyBytes?: number;
  /** Render charts for new releases (default true). */
  readonly charts?: boolean;
}

/**
 * The one HTTP app of dp-pipeline, on Web-standard `Request`/`Response` (Hono). It is served
 * by `node:http` locally (`dp-pipeline serve`, see `node-server.ts`) and by a catch-all
 * Azure Function in Azure; the runtime lives only in those adapters.
 *
 * Routes: `GET /healthz` (open), `GET /metrics`, and with a lake: `GET /dau/{day}`,
 * `GET /mau?end=YYYY-MM-DD&window=30`, `GET /budget/{metric}?month=YYYY-MM`, `POST /event`,
 * `POST /erase`. Every route but `/healthz` needs a valid `X-API-Key` when keys are given.
 *
 * Errors: a {@link DpPipelineError} becomes its status code (see `status.ts`) with a one-line
 * JSON body `{ error: { code, message } }`; budget exhaustion is 429 with the remaining budget;
 * bodies over `maxBodyBytes` are 413; anything else is a 500 without details.
 *
 * @example
 * ```ts
 * const app = createApp({ version: '0.1.0', lake, config, apiKeys: ['secret'] });
 * const res = await app.fetch(new Request('http://localhost/dau/2016-08-01', { headers: { 'x-api-key': 'secret' } }));
 * ```
 */
export function createApp(deps: HttpDeps): Hono {
  const app = new Hono();
  const metrics = new HttpMetrics();
  const keys = deps.apiKeys ?? [];
  if (deps.lake && keys.length === 0 && !deps.insecureNoAuth) {
    throw new Error('createApp: the data routes need API keys (or insecureNoAuth: true)');
  }

  app.use('*', async (c, next) => {
    await next();
    // Route patterns only (`/dau/:day`), never the path a caller sent.
    const route = c.res.status === 404 && c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    metrics.add('dp_http_requests_total', { route, status: String(c.res.status) });
  });
  if (keys.length > 0) app.use('*', apiKeyAuth(keys, ['/healthz']));
  const maxSize = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.use(
    '*',
    bodyLimit({
      maxSize,
      onError: (c) =>
        c.json({ error: { code: 'PAYLOAD_TOO_LARGE', message: `request body over ${maxSize} bytes` } }, 413),
    }),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version }));
  app.get('/metrics', (c) =>
    c.body(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );

  if (deps.lake && deps.config) {
    const lake = deps.lake;
    const users = new ActiveUsers({
      lake,
      config: deps.config,
      clock: deps.clock ?? (() => new Date()),
      counts: deps.counts ?? (() => openActivity(lake)),
      ...(deps.rng ? { rng: deps.rng } : {}),
      ...(deps.log ? { log: deps.log } : {}),
      ...(deps.charts !== undefined ? { charts: deps.charts } : {}),
    });
    addActiveUsersRoutes(app, { users, lake, metrics });
  }

  app.notFound((c) =>
    c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((err, c) => {
    if (err instanceof DataPendingError) {
      c.header('Retry-After', String(err.retryAfterSeconds));
      return c.json(
        { error: 'data_pending', message: err.message, retry_after_seconds: err.retryAfterSeconds },
        409,
      );
    }
    if (err instanceof DpPipelineError) {
      const status = statusFor(err);
      if (status >= 500) deps.log?.error({ code: err.code }, err.message);
      return c.json({ error: errorBodyFor(err) }, status);
    }
    deps.log?.error({ err: err.name }, 'internal error answering a request');
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}
