import { ConflictError, PreconditionFailedError, UserError } from '../errors.js';
import { loadKeyRing, type KeyRing } from '../silver/key-ring.js';
import type { RawUserId } from '../silver/pseudonym.js';
import type { Lake } from '../storage/index.js';
import { ERASURE_PARTITION, readErasure, type ErasureEntity } from './requests.js';

export type ErasureRequestStatus = 'pending' | 'already_pending' | 'already_erased';

const MAX_USER_ID = 128;

/**
 * Records an erasure request for `rawUserId`: only its pseudonyms (the activity link and one per
 * key version) are stored, in the `erasures` table, never the raw id. From this moment every
 * activity count excludes the user; `flushDeletes` (run by `flush-deletes` and at the start of
 * every `run`) then removes the user's lines and rows from Bronze, Silver, quarantine and the
 * ledger. Asking again is harmless.
 *
 * @example
 * ```ts
 * await requestErasure(lake, '895954260133011192');
 * ```
 */
export async function requestErasure(
  lake: Lake,
  rawUserId: string,
  options: { source?: string; now?: Date; ring?: KeyRing } = {},
): Promise<{ status: ErasureRequestStatus }> {
  if (typeof rawUserId !== 'string' || rawUserId.trim() === '' || rawUserId.length > MAX_USER_ID)
    throw new UserError(`user id: must be 1 to ${MAX_USER_ID} characters, not blank`);
  const ring = options.ring ?? (await loadKeyRing(lake));
  const { link, versions } = ring.pseudonymsOf(rawUserId as RawUserId);
  const table = lake.tables('erasures');
  for (;;) {
    const existing = await readErasure(lake, link);
    if (existing) {
      const known = existing.record.versions;
      const merged = { ...known, ...versions };
      if (Object.keys(merged).length !== Object.keys(known).length) {
        // A key version was added since: keep its pseudonym too (the update is ETag-guarded).
        await table
          .update({ ...existing.entity, pseudonyms: JSON.stringify(merged) }, existing.record.etag)
          .catch((err: unknown) => {
            if (!(err instanceof PreconditionFailedError)) throw err;
          });
      }
      return { status: existing.record.status === 'done' ? 'already_erased' : 'already_pending' };
    }
    const entity: ErasureEntity = {
      partitionKey: ERASURE_PARTITION,
      rowKey: link,
      pseudonyms: JSON.stringify(versions),
      status: 'pending',
      requested_at: (options.now ?? new Date()).toISOString(),
      processed_at: null,
      source: options.source ?? 'api',
    };
    try {
      await table.create(entity);
      return { status: 'pending' };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // created concurrently: read it again
    }
  }
}

/**
 * The user ids of an erasure request file dropped in `bronze/erasures/`: a JSON array of ids (or
 * of `{"user_id": …}` objects), an object `{"user_ids": […]}`, or NDJSON with one id or object
 * per line. Raises `UserError` naming the file and line.
 */
export function parseErasureFile(name: string, text: string): string[] {
  const idOf = (value: unknown, where: string): string => {
    const id =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>).user_id
        : value;
    if (typeof id !== 'string' || id.trim() === '' || id.length > MAX_USER_ID)
      throw new UserError(
        `${where}: expected a user id string (or {"user_id": "…"}) of 1 to ${MAX_USER_ID} characters`,
      );
    return id;
  };
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const whole: unknown = JSON.parse(trimmed);
    if (Array.isArray(whole)) return whole.map((v, i) => idOf(v, `${name} item ${i + 1}`));
    if (typeof whole === 'object' && whole !== null && 'user_ids' in whole) {
      const ids = (whole as { user_ids: unknown }).user_ids;
      if (!Array.isArray(ids)) throw new UserError(`${name}: user_ids must be an array of ids`);
      return ids.map((v, i) => idOf(v, `${name} user_ids item ${i + 1}`));
    }
    return [idOf(whole, name)];
  } catch (err) {
    if (err instanceof UserError) throw err;
  }
  const ids: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UserError(`${name} line ${i + 1}: not valid JSON (expected "id" or {"user_id": "id"})`);
    }
    ids.push(idOf(value, `${name} line ${i + 1}`));
  });
  return ids;
}
