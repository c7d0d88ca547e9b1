import type { z } from 'zod';
import { UserError } from '../errors.js';

/** `['events', 0, 'op']` → `events[0].op`. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('');
}

/**
 * Decodes a request part (path parameters, query, JSON body) with its schema from `schemas.ts`,
 * or raises a one-line `UserError` naming the field and what is wrong (the first issue).
 */
export function decode<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = pathText(issue.path);
  const message = issue.message.replace(/\s+/g, ' ');
  throw new UserError(where === '' || message.startsWith(where) ? message : `${where}: ${message}`);
}
