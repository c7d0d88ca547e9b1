import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import {
  blobTooLarge,
  inflate,
  isCorruptGzip,
  type FrameLimits,
  type FrameResult,
  type LineSink,
} from './blob-stream.js';
import { RAW_EXCERPT_BYTES, type Rejection } from './rejection.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NL = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

/** One item of a JSON array (or the one top-level value), as the splitter saw it. */
interface SplitItem {
  /** The item's bytes, or null when it is longer than the limit (then only `excerpt` is kept). */
  readonly text: Buffer | null;
  readonly excerpt: Buffer;
  readonly length: number;
  /** The first raw byte that cannot be staged: 0x00 or 0x01 anywhere, CR or LF inside a string. */
  readonly control: { readonly code: number; readonly at: number } | null;
  /** Raw CR/LF between tokens (pretty-printed JSON): turned into spaces when staged. */
  readonly newlines: boolean;
}

/**
 * Splits a JSON text into the items of its top-level array, chunk by chunk, holding at most one
 * item (cut at `maxItemBytes`) at a time. It tracks only what it needs to find item boundaries
 * (string state, escapes, nesting depth) and the array's own syntax (commas, brackets, trailing
 * content); whether an item is valid JSON is for the reader of the staged item (DuckDB) to say.
 * A top-level value that is not an array is one item.
 */
class JsonItemSplitter {
  private mode: 'start' | 'array' | 'value' | 'after' = 'start';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private inItem = false;
  private afterComma = false;
  private parts: Buffer[] = [];
  private length = 0;
  private excerpt: Buffer | null = null;
  private control: SplitItem['control'] = null;
  private newlines = false;
  private offset = 0;
  /** Items seen so far; the current item's 1-based number while `inItem`. */
  items = 0;
  /** Why the text is not a JSON array or value, once known; nothing more is read then. */
  problem: string | null = null;

  constructor(
    private readonly maxItemBytes: number,
    private readonly onItem: (n: number, item: SplitItem) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.problem !== null) return;
    const n = chunk.length;
    let i = 0;
    if (this.mode === 'start') {
      while (i < n && this.offset + i < BOM.length && chunk[i] === BOM[this.offset + i]) i++;
      while (i < n && isSpace(chunk[i]!)) i++;
      if (i === n) {
        this.offset += n;
        return;
      }
      if (chunk[i] === OPEN_BRACKET) {
        this.mode = 'array';
        this.depth = 1;
        i++;
      } else {
        this.mode = 'value';
      }
    }
    // The per-byte state lives in locals (written back below): this loop is the hot path.
    let { inString, escaped, depth } = this;
    let itemStart = this.inItem ? 0 : -1;
    const save = (): void => {
      this.inString = inString;
      this.escaped = escaped;
      this.depth = depth;
    };
    const stop = (what: string, at: number): void => {
      save();
      this.fail(what, at);
    };
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === QUOTE) {
          inString = false;
          continue;
        } else if (b === BACKSLASH) {
          escaped = true;
          continue;
        }
        if (b <= 0x01 || b === NL || b === CR) this.noteControl(b, i - itemStart);
        continue;
      }
      if (b === 0x20 || b === 0x09) continue;
      if (b === NL || b === CR) {
        if (this.inItem) this.newlines = true;
        continue;
      }
      if (this.mode === 'after') return stop('content after the closing ]', i);
      if (depth === 1 && this.mode === 'array') {
        if (b === COMMA) {
          if (!this.inItem) return stop('a comma with no value before it', i);
          this.endItem(chunk, itemStart, i);
          itemStart = -1;
          this.afterComma = true;
          continue;
        }
        if (b === CLOSE_BRACKET) {
          if (this.inItem) this.endItem(chunk, itemStart, i);
          else if (this.afterComma) return stop('a comma with no value after it', i);
          itemStart = -1;
          this.mode = 'after';
          continue;
        }
        if (b === CLOSE_BRACE) return stop('a } that closes nothing', i);
      }
      if (!this.inItem) {
        this.startItem();
        itemStart = i;
      }
      if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
      else if (b <= 0x01) this.noteControl(b, i - itemStart);
    }
    save();
    if (this.inItem) this.keep(chunk.subarray(itemStart, n));
    this.offset += n;
  }

  /** At the end of the text: whether it held items, nothing but whitespace, `[]`, or a problem. */
  end(): 'items' | 'empty' | 'empty_array' | 'problem' {
    if (this.problem !== null) return 'problem';
    if (this.mode === 'start') return 'empty';
    if (this.mode === 'after' && this.items === 0) return 'empty_array';
    if (this.mode === 'array') {
      this.fail('the blob ends before the array is closed', 0);
      return 'problem';
    }
    if (this.inItem) this.endItem(Buffer.alloc(0), 0, 0);
    return 'items';
  }

  private fail(what: string, at: number): void {
    this.problem = `${what}, at byte ${this.offset + at + 1}`;
  }

  private startItem(): void {
    this.inItem = true;
    this.afterComma = false;
    this.parts = [];
    this.length = 0;
    this.excerpt = null;
    this.control = null;
    this.newlines = false;
    this.items++;
  }

  private noteControl(code: number, inChunk: number): void {
    this.control ??= { code, at: this.length + inChunk + 1 };
  }

  /** Holds a piece of the current item; once it is over the limit, only its first 4 KiB. */
  private keep(piece: Buffer): void {
    this.length += piece.length;
    if (this.excerpt === null) {
      if (this.length <= this.maxItemBytes) {
        this.parts.push(piece);
        return;
      }
      this.excerpt = Buffer.from(Buffer.concat([...this.parts, piece]).subarray(0, RAW_EXCERPT_BYTES));
      this.parts = [];
    } else if (this.excerpt.length < RAW_EXCERPT_BYTES) {
      this.excerpt = Buffer.concat([
        this.excerpt,
        piece.subarray(0, RAW_EXCERPT_BYTES - this.excerpt.length),
      ]);
    }
  }

  private endItem(chunk: Buffer, from: number, to: number): void {
    let end = to;
    while (end > from && isSpace(chunk[end - 1]!)) end--;
    this.keep(chunk.subarray(from, end));
    const text =
      this.excerpt !== null ? null : this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.onItem(this.items, {
      text,
      excerpt: this.excerpt ?? text!.subarray(0, RAW_EXCERPT_BYTES),
      length: this.length,
      control: this.control,
      newlines: this.newlines,
    });
    this.inItem = false;
    this.parts = [];
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === NL || b === CR;
}

/**
 * Frames a `.json` blob (plain or gzip): an array of records is staged item by item, so memory
 * is bounded by `maxLineBytes` whatever the blob's size; any other top-level value is one record.
 * Each item is staged as one line (its raw text, with line breaks between tokens turned into
 * spaces), numbered by its 1-based position, and checked like an NDJSON line (size, UTF-8, raw
 * control characters); DuckDB then parses it and rejects it alone if it is not a valid object.
 * A blob that is not a JSON array as a whole (unclosed, stray comma or bracket, content after
 * it), a corrupt gzip stream, or one over `maxBlobBytes` is rejected whole as one record.
 */
export async function frameJson(input: Readable, limits: FrameLimits, sink: LineSink): Promise<FrameResult> {
  const rejections: Rejection[] = [];
  let staged = 0;
  let bytes = 0;
  const head: Buffer[] = [];
  let headBytes = 0;
  const splitter = new JsonItemSplitter(limits.maxLineBytes, (n, item) => {
    const rejection = itemProblem(n, item, limits.maxLineBytes);
    if (rejection) {
      rejections.push(rejection);
      return;
    }
    sink.line(n, item.newlines ? spaced(item.text!) : item.text!);
    staged++;
  });
  try {
    for await (const chunk of await inflate(input)) {
      bytes += chunk.length;
      if (bytes > limits.maxBlobBytes)
        return { ok: false, rejection: blobTooLarge(limits.maxBlobBytes), bytes };
      if (headBytes < RAW_EXCERPT_BYTES) {
        head.push(Buffer.from(chunk.subarray(0, RAW_EXCERPT_BYTES - headBytes)));
        headBytes += head.at(-1)!.length;
      }
      splitter.push(chunk);
      if (splitter.problem !== null) break;
      if (sink.ready) await sink.ready();
    }
  } catch (err) {
    if (!isCorruptGzip(err)) throw err;
    return {
      ok: false,
      bytes,
      rejection: {
        line: null,
        reason_code: 'corrupt_gzip',
        reason: `gzip stream is corrupt: ${err.message}; re-upload the blob`,
        raw: null,
      },
    };
  }
  const outcome = splitter.end();
  if (outcome === 'problem') {
    return {
      ok: false,
      bytes,
      rejection: {
        line: null,
        reason_code: 'not_json',
        reason: `blob is not valid JSON (${splitter.problem}); a .json blob must hold one array or object`,
        raw: Buffer.concat(head).toString('utf8'),
      },
    };
  }
  if (outcome === 'empty' || outcome === 'empty_array') {
    return {
      ok: false,
      bytes,
      rejection: {
        line: null,
        reason_code: 'empty_blob',
        reason: outcome === 'empty_array' ? 'JSON array is empty' : 'blob holds no records (empty)',
        raw: null,
      },
    };
  }
  return { ok: true, records: staged + rejections.length, staged, rejections, bytes };
}

function itemProblem(n: number, item: SplitItem, maxLineBytes: number): Rejection | undefined {
  if (item.text === null) {
    return {
      line: n,
      reason_code: 'line_too_long',
      reason: `item ${n} is ${item.length} bytes, over the ${maxLineBytes}-byte limit (max_line_bytes); split the record or raise the limit`,
      raw: item.excerpt.toString('utf8'),
    };
  }
  if (item.control !== null) {
    return {
      line: n,
      reason_code: 'control_character',
      reason: `not valid JSON: raw control character 0x${item.control.code.toString(16).padStart(2, '0')} at byte ${item.control.at}`,
      raw: item.text.toString('utf8'),
    };
  }
  if (!isUtf8(item.text)) {
    return { line: n, reason_code: 'invalid_utf8', reason: 'item is not valid UTF-8 text', raw: null };
  }
  return undefined;
}

/** A copy of `text` with CR/LF as spaces (only ever between tokens: inside strings they reject the item). */
function spaced(text: Buffer): Buffer {
  const copy = Buffer.from(text);
  for (let i = copy.indexOf(NL); i !== -1; i = copy.indexOf(NL, i + 1)) copy[i] = 0x20;
  for (let i = copy.indexOf(CR); i !== -1; i = copy.indexOf(CR, i + 1)) copy[i] = 0x20;
  return copy;
}

/**
 * The items of a whole `.json` text as the framer splits them — each item's source text (kept
 * byte for byte when a blob is rewritten) and the line ingest stages for it — or undefined when
 * the text is not a JSON array or value as a whole (ingest rejected such a blob whole). A
 * top-level value that is not an array is one item (`array: false`). One splitter for ingest and
 * erasure, so the two always see the same records.
 */
export function splitJsonItems(
  text: Buffer,
):
  | { readonly array: boolean; readonly items: { readonly source: string; readonly staged: string }[] }
  | undefined {
  const items: { source: string; staged: string }[] = [];
  const splitter = new JsonItemSplitter(Number.MAX_SAFE_INTEGER, (_n, item) => {
    const source = item.text ?? item.excerpt;
    items.push({
      source: source.toString('utf8'),
      staged: (item.newlines ? spaced(source) : source).toString('utf8'),
    });
  });
  splitter.push(text);
  const outcome = splitter.end();
  if (outcome === 'problem') return undefined;
  const first = text
    .toString('utf8', 0, Math.min(text.length, 64))
    .replace(/^\uFEFF/, '')
    .trimStart();
  return { array: first.startsWith('['), items };
}
