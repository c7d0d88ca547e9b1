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
import { apiKeyAuth, metricsTokenAuth } from './auth.js';
import { HttpMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { errorAnswer, errorBodyFor, statusFor } from './status.js';

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
  /**
   * Bearer token for `GET /metrics` (`DP_METRICS_TOKEN`). Without it `/metrics` is open: it holds
   * counters and latencies only, never ids, days asked for or values.
   */
  readonly metricsToken?: string;
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
 * Routes: `GET /healthz` and `GET /openapi.json` (open), `GET /metrics` (open, or behind
 * `metricsToken`), and with a lake: `GET /dau/{day}`, `GET /mau?end=YYYY-MM-DD&window=30`,
 * `GET /budget/{metric}?month=YYYY-MM`, `POST /event`, `POST /erase`, which need a valid
 * `X-API-Key` when keys are given. `openapi.ts` describes every route.
 *
 * Errors: every one is the flat body `{"error": code, "message": one line, "hint": what to do}`
 * (see `status.ts`, the one mapping); budget exhaustion (429) adds the budget that ran out, data
 * pending (409) `retry_after_seconds` and `Retry-After`; bodies over `maxBodyBytes` are 413;
 * anything unexpected is a 500 without details.
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
    const started = performance.now();
    await next();
    // Route patterns only (`/dau/:day`), never the path a caller sent.
    const route = c.res.status === 404 && c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    metrics.add('dp_http_requests_total', { route, status: String(c.res.status) });
    metrics.observe(route, (performance.now() - started) / 1000);
  });
  if (keys.length > 0) app.use('*', apiKeyAuth(keys, ['/healthz', '/openapi.json', '/metrics']));
  if (deps.metricsToken !== undefined && deps.metricsToken !== '') {
    app.use('/metrics', metricsTokenAuth(deps.metricsToken));
  }
  const maxSize = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.use(
    '*',
    bodyLimit({
      maxSize,
      onError: (c) => {
        const { status, body } = errorAnswer('payload_too_large', `request body over ${maxSize} bytes`);
        return c.json(body, status);
      },
    }),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version }));
  const openapi = openApiDocument(deps.version);
  app.get('/openapi.json', (c) => c.json(openapi));
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
    addActiveUsersRoutes(app, { users, lake, metrics, version: deps.version });
  }

  app.notFound((c) => {
    const { status, body } = errorAnswer('not_found', `no route for ${c.req.method} ${c.req.path}`);
    return c.json(body, status);
  });
  app.onError((err, c) => {
    if (err instanceof DataPendingError) {
      c.header('Retry-After', String(err.retryAfterSeconds));
      return c.json({ ...errorBodyFor(err), retry_after_seconds: err.retryAfterSeconds }, 409);
    }
    if (err instanceof DpPipelineError) {
      const status = statusFor(err);
      if (status >= 500) deps.log?.error({ code: err.code }, err.message);
      return c.json(errorBodyFor(err), status);
    }
    deps.log?.error({ err: err.name }, 'internal error answering a request');
    const { status, body } = errorAnswer('internal', 'internal error');
    return c.json(body, status);
  });
  return app;
}
