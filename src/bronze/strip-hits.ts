/**
 * Streams one NDJSON line through a JSON scanner that keeps every byte except the elements of the
 * top-level `hits` array, so a GA360 export session of any length reaches DuckDB as its
 * session-level fields (a few KiB) with `"hits":[]`. Silver needs only top-level fields
 * (`totals`, `device`, `geoNetwork`, ids, dates, `trafficSource`, `channelGrouping`), and a
 * session's hits (up to thousands of nested objects, 1–100 MB of text) would otherwise be held in
 * Node and parsed whole by `json_transform`.
 *
 * The scanner tracks strings, escapes and nesting only; it does not validate JSON. A line that is
 * not well formed still comes out not well formed (e.g. `{"hits":[` when the array never closes),
 * so DuckDB rejects it as `not_json` as before. Bytes inside the hits array are not checked for
 * UTF-8 or control characters: they are never staged or read.
 *
 * @example
 * const s = new HitsStripper(1 << 20);
 * s.push(Buffer.from('{"a":1,"hits":[{"hitNumber":1}],"b":2}'));
 * s.finish(); // { ok: true, line: '{"a":1,"hits":[],"b":2}' as a Buffer, hits: 1 }
 */
export class HitsStripper {
  private readonly kept: Buffer[] = [];
  private keptLen = 0;
  private overflow = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Inside the top-level object, the next string is a key. */
  private expectKey = false;
  /** Bytes of the top-level key being read (only the first 5 matter: is it `hits`?). */
  private key: number[] = [];
  private keyIsHits = false;
  private readingKey = false;
  /** After `"hits":`, waiting for its value. */
  private awaitHitsValue = false;
  /** Depth of the skipped hits array (0: not skipping). */
  private skipDepth = 0;
  private hitCount = 0;

  /** @param maxKeptBytes the most bytes kept; past it the line is reported as too long. */
  constructor(private readonly maxKeptBytes: number) {}

  /** Scans the next piece of the line (without its newline). */
  push(piece: Buffer): void {
    let from = this.skipDepth > 0 ? -1 : 0;
    for (let i = 0; i < piece.length; i++) {
      const b = piece[i]!;
      if (this.inString && !this.readingKey && !this.escaped) {
        // Most bytes are string contents: jump to the closing quote (one not escaped).
        let q = piece.indexOf(QUOTE, i);
        while (q !== -1 && backslashesBefore(piece, q, i) % 2 === 1) q = piece.indexOf(QUOTE, q + 1);
        if (q === -1) {
          this.escaped = backslashesBefore(piece, piece.length, i) % 2 === 1;
          break;
        }
        i = q;
        this.inString = false;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.readingKey) {
            this.readingKey = false;
            this.keyIsHits = this.key.length === 4 && String.fromCharCode(...this.key) === 'hits';
          }
        } else if (this.readingKey && this.key.length < 5) this.key.push(b);
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.expectKey && this.skipDepth === 0) {
          this.readingKey = true;
          this.expectKey = false;
          this.key = [];
        }
        this.awaitHitsValue = false;
        continue;
      }
      if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
      if (b === COLON) {
        if (this.depth === 1 && this.skipDepth === 0) this.awaitHitsValue = this.keyIsHits;
        this.keyIsHits = false;
        continue;
      }
      if (b === COMMA) {
        if (this.depth === 1) this.expectKey = true;
        this.awaitHitsValue = false;
        continue;
      }
      if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (this.skipDepth > 0 && this.depth === this.skipDepth && b === OPEN_BRACE) this.hitCount++;
        this.depth++;
        if (this.depth === 1) this.expectKey = true;
        if (this.awaitHitsValue && b === OPEN_BRACKET) {
          // Keep up to and including `[`; skip until its matching `]`.
          this.keep(piece, from, i + 1);
          from = -1;
          this.skipDepth = this.depth;
        }
        this.awaitHitsValue = false;
        continue;
      }
      if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (this.skipDepth > 0 && this.depth === this.skipDepth) {
          this.skipDepth = 0;
          from = i;
        }
        this.depth--;
        continue;
      }
      this.awaitHitsValue = false;
    }
    if (from !== -1) this.keep(piece, from, piece.length);
  }

  /** The kept line, or how long it would have been when over the limit. */
  finish(): { ok: true; line: Buffer; hits: number } | { ok: false; keptBytes: number } {
    if (this.overflow) return { ok: false, keptBytes: this.keptLen };
    const line = this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept, this.keptLen);
    return { ok: true, line, hits: this.hitCount };
  }

  private keep(piece: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.keptLen += to - from;
    if (this.keptLen > this.maxKeptBytes) {
      this.overflow = true;
      this.kept.length = 0;
    }
    if (!this.overflow) this.kept.push(piece.subarray(from, to));
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** How many backslashes directly precede `at`, looking back no further than `from`. */
function backslashesBefore(buf: Buffer, at: number, from: number): number {
  let n = 0;
  while (at - n - 1 >= from && buf[at - n - 1] === BACKSLASH) n++;
  return n;
}

const HITS_ARRAY = [Buffer.from('"hits":['), Buffer.from('"hits": [')];

/** Whether `buf[from, to)` may hold a top-level hits array (the scanner decides exactly). */
export function mayHoldHits(buf: Buffer, from = 0, to = buf.length): boolean {
  const region = from === 0 && to === buf.length ? buf : buf.subarray(from, to);
  return HITS_ARRAY.some((needle) => region.includes(needle));
}
