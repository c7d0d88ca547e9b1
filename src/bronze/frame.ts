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
 * A blob that decompresses past `maxBlobBytes` is read no further and rejected whole.
 */
export async function frameNdjson(
  input: Readable,
  limits: FrameLimits,
  sink: LineSink,
): Promise<FrameResult> {
  const { maxLineBytes, maxBlobBytes } = limits;
  const rejections: Rejection[] = [];
  let staged = 0;
  let lineNo = 0;
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let oversize = false;

  const finishOversize = (len: number): void => {
    const head = Buffer.concat(pending).subarray(0, RAW_EXCERPT_BYTES).toString('utf8');
    rejections.push({
      line: lineNo,
      reason_code: 'line_too_long',
      reason: `line ${lineNo} is ${len} bytes, over the ${maxLineBytes}-byte limit (max_line_bytes); split the record or raise the limit`,
      raw: head,
    });
    oversize = false;
    pending = [];
  };
  const finishLine = (parts: Buffer[], len: number): void => {
    lineNo++;
    if (oversize) return finishOversize(len);
    let line = parts.length === 1 ? parts[0]! : Buffer.concat(parts, len);
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
      // (valid UTF-8, no NUL/\x01/CR bytes), its lines skip the per-line checks.
      const fastFrom = firstNl + 1;
      const fastClean = lastNl > firstNl && regionIsClean(chunk.subarray(fastFrom, lastNl));
      for (;;) {
        const nl = chunk.indexOf(NL, start);
        if (fastClean && start >= fastFrom && nl !== -1 && nl <= lastNl) {
          lineNo++;
          if (nl - start > maxLineBytes) {
            oversize = true;
            pending.push(chunk.subarray(start, start + RAW_EXCERPT_BYTES));
            finishOversize(nl - start);
          } else if (nl > start && !isBlank(chunk, start, nl)) {
            sink.line(lineNo, chunk.subarray(start, nl));
            staged++;
          }
          start = nl + 1;
          continue;
        }
        const end = nl === -1 ? chunk.length : nl;
        const piece = chunk.subarray(start, end);
        const total = pendingLen + piece.length;
        if (total > maxLineBytes) {
          if (!oversize) {
            oversize = true;
            pending.push(piece.subarray(0, Math.max(0, RAW_EXCERPT_BYTES - pendingLen)));
          }
        } else if (piece.length > 0) {
          pending.push(piece);
        }
        pendingLen = total;
        if (nl === -1) break;
        finishLine(pending, pendingLen);
        pending = [];
        pendingLen = 0;
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
    oversize = false;
  }
  if (pendingLen > 0 || oversize) finishLine(pending, pendingLen);
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
