import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';
import type { Lake } from '../storage/index.js';

/** One activity event: a user seen at a time. */
export interface IngestEvent {
  /** The raw user id (it is pseudonymized when the next run turns Bronze into Silver). */
  readonly user_id: string;
  /** ISO-8601 date-time with zone (`2016-08-01T10:00:00Z`), a date `YYYY-MM-DD` (midnight UTC), or Unix seconds. */
  readonly timestamp?: string | number;
  /** A date `YYYY-MM-DD`, when `timestamp` is absent (the HTTP wire format's `day`). */
  readonly day?: string;
}

/** Where `ingestEvents` writes: `bronze/events/ingest/<YYYY-MM-DD>/<time>-<random>.ndjson`. */
export const EVENTS_PREFIX = 'events/ingest/';

const MAX_SECONDS = 7_258_118_400; // 2200-01-01: the Bronze reader accepts dates up to 2199
const MAX_USER_ID = 128;

/**
 * Writes `events` to Bronze as one new NDJSON blob in the flat event shape, so the next `run`
 * processes them like any other blob (Bronze stays the source of truth). Each event becomes a
 * one-hit session whose id is its Unix second: sending the same event twice counts it once.
 * Validates everything first; a bad event raises `UserError` naming it and writes nothing.
 *
 * @example
 * ```ts
 * await ingestEvents(lake, [{ user_id: 'u-1', timestamp: '2016-08-01T10:00:00Z' }]);
 * ```
 */
export async function ingestEvents(
  lake: Lake,
  events: readonly unknown[],
  options: { now?: Date; describe?: (index: number) => string } = {},
): Promise<{ key: string; ingested: number }> {
  const where = options.describe ?? ((i: number) => `event ${i + 1}`);
  const lines = events.map((e, i) => eventLine(parseEvent(e, where(i))));
  if (lines.length === 0) throw new UserError('no events to ingest');
  const now = options.now ?? new Date();
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  const key = `${EVENTS_PREFIX}${now.toISOString().slice(0, 10)}/${stamp}-${randomBytes(4).toString('hex')}.ndjson`;
  await lake.objects('bronze').write(key, lines.join('\n') + '\n', {
    ifNoneMatch: '*',
    contentType: 'application/x-ndjson',
  });
  return { key, ingested: lines.length };
}

/** Validates one event; `where` names it in the error (`events.csv line 4`). */
export function parseEvent(value: unknown, where: string): { user: string; seconds: number } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UserError(`${where}: expected an object with user_id and timestamp`);
  const { user_id: user, timestamp: time, day } = value as Record<string, unknown>;
  // The DAU service's wire format sends `day` (YYYY-MM-DD) instead of a timestamp.
  const timestamp = time ?? day;
  if (user === undefined || user === null || user === '')
    throw new UserError(`${where}: user_id: missing (a non-empty string is required)`);
  if (typeof user !== 'string')
    throw new UserError(
      `${where}: user_id: must be a string, got ${typeof user} (quote numeric ids: large numbers lose precision)`,
    );
  if (user.trim() === '' || user.length > MAX_USER_ID)
    throw new UserError(`${where}: user_id: must be 1 to ${MAX_USER_ID} characters, not blank`);
  return { user, seconds: parseTimestamp(timestamp, where) };
}

function parseTimestamp(value: unknown, where: string): number {
  const bad = (): never => {
    const shown = JSON.stringify(value)?.slice(0, 60) ?? String(value);
    throw new UserError(
      `${where}: timestamp: ${shown} is not an ISO-8601 time with zone (2016-08-01T10:00:00Z), a date YYYY-MM-DD or Unix seconds`,
    );
  };
  if (value === undefined || value === null || value === '')
    throw new UserError(`${where}: timestamp: missing`);
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value !== 'string') return bad();
  else if (/^\d{1,11}$/.test(value)) seconds = Number(value);
  else if (/^\d{4}-\d{2}-\d{2}$/.test(value)) seconds = dateSeconds(value) ?? bad();
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value))
    seconds = Math.floor(Date.parse(value) / 1000);
  else return bad();
  if (!Number.isInteger(seconds) || seconds < 0 || seconds >= MAX_SECONDS) return bad();
  return seconds;
}

function dateSeconds(day: string): number | undefined {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day ? undefined : ms / 1000;
}

/** The flat event shape the Bronze reader accepts (`user_id`, `summary.*`). */
function eventLine(e: { user: string; seconds: number }): string {
  const day = new Date(e.seconds * 1000).toISOString().slice(0, 10).replace(/-/g, '');
  return JSON.stringify({
    user_id: e.user,
    visitId: String(e.seconds),
    visitStartTime: String(e.seconds),
    visitNumber: '1',
    date: day,
    summary: { num_hits: 1 },
  });
}

/**
 * Reads an events file: JSONL (one `{"user_id", "timestamp"}` object per line) or CSV with a
 * header naming `user_id` and `timestamp` (any order, other columns ignored). Errors name the
 * file, line and field.
 */
export function parseEventsFile(name: string, text: string): { events: IngestEvent[]; lines: number[] } {
  const events: IngestEvent[] = [];
  const lines: number[] = [];
  const rows = text.split(/\r?\n/);
  const firstData = rows.findIndex((r) => r.trim() !== '');
  if (firstData < 0) throw new UserError(`${name}: no events (the file is empty)`);
  const isJson = rows[firstData]!.trimStart().startsWith('{');
  if (isJson) {
    rows.forEach((row, i) => {
      if (row.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(row);
      } catch {
        throw new UserError(
          `${name} line ${i + 1}: not valid JSON (expected {"user_id": …, "timestamp": …})`,
        );
      }
      parseEvent(value, `${name} line ${i + 1}`);
      events.push(value as IngestEvent);
      lines.push(i + 1);
    });
    return { events, lines };
  }
  const header = splitCsv(rows[firstData]!, `${name} line ${firstData + 1}`).map((h) =>
    h.trim().toLowerCase(),
  );
  const userCol = header.indexOf('user_id');
  const timeCol = header.indexOf('timestamp');
  if (userCol < 0 || timeCol < 0)
    throw new UserError(
      `${name} line ${firstData + 1}: the CSV header must name user_id and timestamp columns (got ${header.join(',')})`,
    );
  for (let i = firstData + 1; i < rows.length; i++) {
    if (rows[i]!.trim() === '') continue;
    const cells = splitCsv(rows[i]!, `${name} line ${i + 1}`);
    if (cells.length !== header.length)
      throw new UserError(`${name} line ${i + 1}: ${cells.length} fields, the header has ${header.length}`);
    const event = { user_id: cells[userCol]!, timestamp: cells[timeCol]!.trim() };
    parseEvent(event, `${name} line ${i + 1}`);
    events.push(event);
    lines.push(i + 1);
  }
  if (events.length === 0) throw new UserError(`${name}: no events after the header`);
  return { events, lines };
}

/** One CSV record (RFC 4180 quoting, no embedded newlines). */
function splitCsv(row: string, where: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (row[i] === '"') {
      i++;
      for (;;) {
        if (i >= row.length) throw new UserError(`${where}: unterminated quoted field`);
        if (row[i] === '"') {
          if (row[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += row[i++];
      }
      if (i < row.length && row[i] !== ',') throw new UserError(`${where}: text after a closing quote`);
    } else {
      const end = row.indexOf(',', i);
      cell = row.slice(i, end < 0 ? row.length : end);
      i = end < 0 ? row.length : end;
    }
    cells.push(cell);
    if (i >= row.length) return cells;
    i++; // the comma
  }
}
