import { gunzipSync, gzipSync } from 'node:zlib';
import type { KeyRing } from '../silver/key-ring.js';
import type { RawUserId } from '../silver/pseudonym.js';

const ID_FIELD = /"(?:fullVisitorId|user_id)"\s*:\s*"((?:[^"\\]|\\.)*)"/;

/**
 * The raw user id a Bronze line (or a quarantined copy of one) names, if any: from the parsed
 * JSON when it parses, otherwise by pattern, so unparseable or truncated lines that still name a
 * user are found too.
 */
export function userIdOfLine(line: string): string | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const rec = value as Record<string, unknown>;
      const id = rec.fullVisitorId ?? rec.user_id;
      if (typeof id === 'string') return id;
      if (typeof id === 'number') return String(id);
    }
  } catch {
    // not JSON: fall through to the pattern
  }
  const m = ID_FIELD.exec(line);
  if (!m) return undefined;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return m[1];
  }
}

/** Whether `raw` is one of the erased users (by link pseudonym). */
export function isErased(ring: KeyRing, links: ReadonlySet<string>, raw: string | undefined): boolean {
  return raw !== undefined && raw !== '' && links.has(ring.link.pseudonymize(raw as RawUserId));
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * A Bronze blob without the records of erased users: NDJSON line by line, JSON arrays item by
 * item (same compression as it came). Returns undefined when nothing had to go.
 */
export function withoutErasedRecords(
  body: Buffer,
  ring: KeyRing,
  links: ReadonlySet<string>,
): { body: Buffer; removed: number } | undefined {
  const gz = body[0] === GZIP_MAGIC[0] && body[1] === GZIP_MAGIC[1];
  const text = (gz ? gunzipSync(body) : body).toString('utf8');
  let out: string;
  let removed = 0;
  const trimmed = text.trimStart();
  let array: unknown[] | undefined;
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) array = parsed;
    } catch {
      array = undefined;
    }
  }
  if (array) {
    const kept = array.filter((item) => {
      const drop = isErased(ring, links, userIdOfLine(JSON.stringify(item) ?? ''));
      if (drop) removed++;
      return !drop;
    });
    out = JSON.stringify(kept);
  } else if (
    trimmed.startsWith('{') &&
    !text.trim().includes('\n') &&
    isErased(ring, links, userIdOfLine(text))
  ) {
    removed = 1; // a .json blob of one record
    out = '[]';
  } else {
    const lines = text.split('\n');
    const kept = lines.filter((line) => {
      const drop = line.trim() !== '' && isErased(ring, links, userIdOfLine(line));
      if (drop) removed++;
      return !drop;
    });
    out = kept.join('\n');
  }
  if (removed === 0) return undefined;
  const bytes = Buffer.from(out, 'utf8');
  return { body: gz ? gzipSync(bytes) : bytes, removed };
}
