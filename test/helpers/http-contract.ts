import type { Hono } from 'hono';
import { checkResponse, ROUTES } from '../../src/http/openapi.js';

/** The documented route pattern (`/dau/:day`) a request path falls under, if any. */
function routeOf(method: string, path: string): string {
  for (const r of ROUTES) {
    if (r.method !== method.toLowerCase()) continue;
    const re = new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+')}$`);
    if (re.test(path)) return r.path;
  }
  return path;
}

/** Every answer a test has checked against the OpenAPI document, as `METHOD path status`. */
export const checkedAnswers: string[] = [];

/**
 * `app.fetch` that checks every answer against the API's documented responses (the zod schemas
 * the OpenAPI document is generated from) and throws, failing the test, on the first that does not
 * conform. The answer is returned unread.
 */
export function conformingFetch(app: Hono): (req: Request) => Promise<Response> {
  return async (req) => {
    const res = await app.fetch(req);
    const url = new URL(req.url);
    const route = routeOf(req.method, url.pathname);
    const text = await res.clone().text();
    const json = (res.headers.get('content-type') ?? '').includes('application/json');
    const problem = checkResponse(req.method, route, res.status, json ? JSON.parse(text) : text);
    if (problem !== undefined) throw new Error(`answer does not conform to openapi.json: ${problem}`);
    checkedAnswers.push(`${req.method} ${route} ${res.status}`);
    return res;
  };
}
