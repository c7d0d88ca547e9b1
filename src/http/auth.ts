import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorAnswer } from './status.js';

/**
 * Parses `DP_API_KEYS` (comma-separated; blanks ignored). Keys are secrets: never logged.
 *
 * @example
 * ```ts
 * parseApiKeys(' k1, k2,,'); // ['k1', 'k2']
 * ```
 */
export function parseApiKeys(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether `presented` equals one of `keys`, in time independent of where they differ: both sides
 * are hashed to 32 bytes (so lengths leak nothing) and compared with `timingSafeEqual`, against
 * every key without stopping early.
 */
export function apiKeyMatches(presented: string, keys: readonly Buffer[]): boolean {
  const p = digest(presented);
  let ok = false;
  for (const k of keys) ok = timingSafeEqual(p, k) || ok;
  return ok;
}

/**
 * `X-API-Key` auth for every route except the open ones (`/healthz`, `/openapi.json`, and
 * `/metrics`, which has its own token): 401 without a valid key.
 */
export function apiKeyAuth(keys: readonly string[], open: readonly string[]): MiddlewareHandler {
  const hashed = keys.map(digest);
  return async (c, next) => {
    if (open.includes(c.req.path)) return next();
    const presented = c.req.header('x-api-key');
    if (presented === undefined || !apiKeyMatches(presented, hashed)) {
      const { status, body } = errorAnswer('unauthorized', 'missing or invalid X-API-Key header');
      return c.json(body, status);
    }
    return next();
  };
}

/**
 * `Authorization: Bearer <token>` for `/metrics` when the operator set a metrics token
 * (`DP_METRICS_TOKEN`), so a scraper needs no data API key: 401 without it.
 */
export function metricsTokenAuth(token: string): MiddlewareHandler {
  const hashed = [digest(token)];
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const presented = /^Bearer (.+)$/i.exec(header)?.[1];
    if (presented === undefined || !apiKeyMatches(presented, hashed)) {
      const { status, body } = errorAnswer(
        'unauthorized',
        'missing or invalid Authorization: Bearer header (the metrics token)',
        "send the operator's DP_METRICS_TOKEN as Authorization: Bearer <token>",
      );
      return c.json(body, status, { 'www-authenticate': 'Bearer' });
    }
    return next();
  };
}
