import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

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

/** `X-API-Key` auth for every route except the open ones (`/healthz`): 401 without a valid key. */
export function apiKeyAuth(keys: readonly string[], open: readonly string[]): MiddlewareHandler {
  const hashed = keys.map(digest);
  return async (c, next) => {
    if (open.includes(c.req.path)) return next();
    const presented = c.req.header('x-api-key');
    if (presented === undefined || !apiKeyMatches(presented, hashed)) {
      return c.json({ error: { code: 'UNAUTHORIZED', message: 'missing or invalid X-API-Key header' } }, 401);
    }
    return next();
  };
}
