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
import { HitsStripper, mayHoldHits } from './strip-hits.js';

export type { FrameLimits, FrameResult, LineSink } from './blob-stream.js';

const NL = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Splits a Bronze NDJSON stream (plain or gzip, detected by magic bytes) into lines without
 * holding the blob in memory, and checks what DuckDB cannot be trusted to report: lines over
 * `maxLineBytes`, invalid UTF-8, raw control characters, and a corrupt or truncated gzip stream
 * (whose unreadable remainder becomes one rejected record; the lines before it are kept).
 * Blank lines are not records; a blob with none but blank lines is one `empty_blob` record.
 * A line holding a top-level `hits` array (GA360 BigQuery exports) is staged without the array's
 * elements, streamed through {@link HitsStripper}, so a line of any length up to `maxLineBytes`
 * holds memory for its other fields only (at most {@link MAX_STAGED_LINE_BYTES}).
 * A blob that decompresses past `maxBlobBytes` is read no further and rejected whole.
 */
export async function frameNdjson(
  input: Readable,
  limits: FrameLimits,
  sink: LineSink,
): Promise<FrameResult> {
  const { maxLineBytes, maxBlobBytes } = limits;
  const keptCap = stagedLineLimit(maxLineBytes);
  const rejections: Rejection[] = [];
  let staged = 0;
  let lineNo = 0;
  let bytes = 0;
  // The line being read across chunks: its pieces until it is long enough to stream through
  // the hits stripper (then only the stripper's kept bytes and a 4 KiB head are held).
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let head: Buffer | undefined;
  let stripper: HitsStripper | undefined;
  let oversize = false;

  const takeHead = (piece: Buffer): Buffer =>
    Buffer.from(
      Buffer.concat([...pending, piece.subarray(0, RAW_EXCERPT_BYTES)]).subarray(0, RAW_EXCERPT_BYTES),
    );
  const reject = (excerpt: Buffer, reason: string): void => {
    rejections.push({ line: lineNo, reason_code: 'line_too_long', reason, raw: excerpt.toString('utf8') });
  };
  const tooLong = (len: number, excerpt: Buffer): void =>
    reject(
      excerpt,
      `line ${lineNo} is ${len} bytes, over the ${maxLineBytes}-byte limit (max_line_bytes); split the record or raise the limit`,
    );
  const keptTooLong = (len: number, kept: number, excerpt: Buffer): void =>
    reject(
      excerpt,
      `line ${lineNo} is ${len} bytes and still ${kept} bytes without its hits array, over the ${keptCap}-byte limit for a session's other fields; split the record`,
    );
  /** Checks and stages a line that is complete and within the limits (hits already stripped). */
  const accept = (raw: Buffer): void => {
    let line = raw;
    if (lineNo === 1 && line.subarray(0, 3).equals(BOM)) line = line.subarray(3);
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length === 0 || isBlank(line, 0, line.length)) return;
    const problem = lineProblem(line);
    if (problem) {
      rejections.push({
        line: lineNo,
        ...problem,
        raw: problem.reason_code === 'invalid_utf8' ? null : line.toString('utf8'),
      });
      return;
    }
    sink.line(lineNo, line);
    staged++;
  };
  /** A whole line in one buffer that may hold a hits array: strip it, then accept it. */
  const stripWhole = (line: Buffer): void => {
    const s = new HitsStripper(keptCap);
    s.push(line);
    const r = s.finish();
    if (r.ok) accept(r.line);
    else keptTooLong(line.length, r.keptBytes, line.subarray(0, RAW_EXCERPT_BYTES));
  };
  const finishLine = (): void => {
    lineNo++;
    if (oversize) tooLong(pendingLen, head ?? Buffer.alloc(0));
    else if (stripper) {
      const r = stripper.finish();
      if (r.ok) accept(r.line);
      else keptTooLong(pendingLen, r.keptBytes, head ?? Buffer.alloc(0));
    } else {
      const line = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen);
      if (mayHoldHits(line)) stripWhole(line);
      else accept(line);
    }
    pending = [];
    pendingLen = 0;
    head = undefined;
    stripper = undefined;
    oversize = false;
  };
  const addPiece = (piece: Buffer): void => {
    const total = pendingLen + piece.length;
    if (total > maxLineBytes) {
      if (!oversize) {
        head ??= takeHead(piece);
        oversize = true;
        pending = [];
        stripper = undefined;
      }
    } else if (stripper) {
      stripper.push(piece);
    } else if (total > STRIP_FROM) {
      head = takeHead(piece);
      stripper = new HitsStripper(keptCap);
      for (const p of pending) stripper.push(p);
      stripper.push(piece);
      pending = [];
    } else if (piece.length > 0) {
      pending.push(piece);
    }
    pendingLen = total;
  };

  const source = await inflate(input);
  try {
    for await (const chunk of source) {
      bytes += chunk.length;
      // Leaving the loop stops the gunzip: scratch disk and time stay bounded by the limit.
      if (bytes > maxBlobBytes) return { ok: false, rejection: blobTooLarge(maxBlobBytes), bytes };
      let start = 0;
      const firstNl = chunk.indexOf(NL);
      const lastNl = firstNl === -1 ? -1 : chunk.lastIndexOf(NL);
      // Complete lines strictly inside this chunk, checked in bulk: when the region is clean
      // (valid UTF-8, no NUL/\x01/CR bytes) and holds no hits array, its lines skip the per-line checks.
      const fastFrom = firstNl + 1;
      const fastClean = lastNl > firstNl && regionIsClean(chunk.subarray(fastFrom, lastNl));
      const hitsHere = lastNl > firstNl && mayHoldHits(chunk, fastFrom, lastNl);
      for (;;) {
        const nl = chunk.indexOf(NL, start);
        if (fastClean && start >= fastFrom && nl !== -1 && nl <= lastNl) {
          const len = nl - start;
          if (len > maxLineBytes) {
            lineNo++;
            tooLong(len, chunk.subarray(start, start + RAW_EXCERPT_BYTES));
          } else if (len > STRIP_FROM || (hitsHere && mayHoldHits(chunk, start, nl))) {
            lineNo++;
            stripWhole(chunk.subarray(start, nl));
          } else {
            lineNo++;
            if (len > 0 && !isBlank(chunk, start, nl)) {
              sink.line(lineNo, chunk.subarray(start, nl));
              staged++;
            }
          }
          start = nl + 1;
          continue;
        }
        const end = nl === -1 ? chunk.length : nl;
        addPiece(chunk.subarray(start, end));
        if (nl === -1) break;
        finishLine();
        start = nl + 1;
      }
      if (sink.ready) await sink.ready();
    }
  } catch (err) {
    if (!isCorruptGzip(err)) throw err;
    rejections.push({
      line: lineNo + 1,
      reason_code: 'corrupt_gzip',
      reason: `gzip stream is corrupt or truncated after line ${lineNo} (${err.message}); lines before it were kept, the rest is unreadable: re-upload the blob`,
      raw: null,
    });
    pending = [];
    pendingLen = 0;
    head = undefined;
    stripper = undefined;
    oversize = false;
  }
  if (pendingLen > 0 || oversize) finishLine();
  if (staged === 0 && rejections.length === 0) {
    rejections.push({
      line: null,
      reason_code: 'empty_blob',
      reason: 'blob holds no records (empty or only blank lines)',
      raw: null,
    });
  }
  return { ok: true, records: staged + rejections.length, staged, rejections, bytes };
}

/** Lines longer than this always stream through the hits stripper (shorter ones when they hold `"hits":[`). */
export const STRIP_FROM = 64 * 1024;
/**
 * The most bytes of one line staged for DuckDB: a session's fields other than its hits (a few KiB
 * in GA360 exports) must fit, whatever `max_line_bytes` allows for the whole line.
 */
export const MAX_STAGED_LINE_BYTES = 4 * 1024 * 1024;

/** The longest line (or `.json` item) staged for the engine under `maxLineBytes`. */
export function stagedLineLimit(maxLineBytes: number): number {
  return Math.min(maxLineBytes, MAX_STAGED_LINE_BYTES);
}

function isBlank(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = buf[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  }
  return true;
}

function regionIsClean(region: Buffer): boolean {
  return (
    region.indexOf(0x00) === -1 && region.indexOf(0x01) === -1 && region.indexOf(CR) === -1 && isUtf8(region)
  );
}

function lineProblem(line: Buffer): Pick<Rejection, 'reason_code' | 'reason'> | undefined {
  // A raw C0 control character other than tab is never valid JSON; \x01 is also the staging delimiter.
  for (const code of [0x00, 0x01, CR]) {
    const at = line.indexOf(code);
    if (at !== -1) {
      return {
        reason_code: 'control_character',
        reason: `not valid JSON: raw control character 0x${code.toString(16).padStart(2, '0')} at byte ${at + 1}`,
      };
    }
  }
  if (!isUtf8(line)) return { reason_code: 'invalid_utf8', reason: 'line is not valid UTF-8 text' };
  return undefined;
}
