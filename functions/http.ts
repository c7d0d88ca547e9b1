import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Hono } from 'hono';
import { createApp, errorAnswer } from '../src/http/index.js';
import type { Logger } from '../src/log.js';
import { httpDeps } from './deps.js';

/** The dp-pipeline app as the environment configures it (see `httpDeps`). */
export async function buildHttpApp(env: NodeJS.ProcessEnv = process.env, log?: Logger): Promise<Hono> {
  return createApp(await httpDeps(env, log));
}

let cached: Promise<Hono> | undefined;

/**
 * The app built once per Function instance from the environment (see `httpDeps`). A failed
 * build (bad `DP_CONFIG`, say) is not cached, so the next request tries again.
 */
function cachedApp(): Promise<Hono> {
  cached ??= buildHttpApp().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/**
 * The one catch-all HTTP Function: converts the Functions request into a Web `Request`, lets
 * the dp-pipeline app (`src/http`, the same one `dp-pipeline serve` runs) answer, and converts
 * the Web `Response` back. host.json sets an empty route prefix, so paths are the API's own.
 */
export async function handleHttp(
  request: HttpRequest,
  context: InvocationContext,
  served?: Hono | Promise<Hono>,
): Promise<HttpResponseInit> {
  let api: Hono;
  try {
    api = await (served ?? cachedApp());
  } catch (err) {
    // A misconfigured Function (bad DP_CONFIG or DP_STORAGE_*): say so in the log, not to callers.
    context.error(`http: cannot build the API from the environment: ${(err as Error).message}`);
    const { status, body } = errorAnswer('misconfigured', 'the API is misconfigured; see the Function logs');
    return { status, jsonBody: body };
  }
  const method = request.method.toUpperCase();
  const body = method === 'GET' || method === 'HEAD' ? undefined : await request.arrayBuffer();
  const response = await api.fetch(
    new Request(request.url, { method, headers: request.headers, ...(body ? { body } : {}) }),
  );
  return {
    status: response.status,
    headers: response.headers,
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

app.http('api', {
  route: '{*path}',
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  // Authentication is the app's own (X-API-Key), not Functions keys.
  authLevel: 'anonymous',
  handler: (request, context) => handleHttp(request, context),
});
