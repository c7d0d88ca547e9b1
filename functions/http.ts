import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Hono } from 'hono';
import { createApp } from '../src/http/index.js';
import { httpDeps } from './deps.js';

let cached: Hono | undefined;

/**
 * The one catch-all HTTP Function: converts the Functions request into a Web `Request`, lets
 * the dp-pipeline app (`src/http`, the same one `dp-pipeline serve` runs) answer, and converts
 * the Web `Response` back. host.json sets an empty route prefix, so paths are the API's own.
 */
export async function handleHttp(
  request: HttpRequest,
  _context: InvocationContext,
  api: Hono = (cached ??= createApp(httpDeps())),
): Promise<HttpResponseInit> {
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
