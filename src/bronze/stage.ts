import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mapConcurrently } from '../concurrency.js';
import type { ObjectInfo, ObjectStore } from '../storage/index.js';
import type { FrameLimits, LineSink } from './blob-stream.js';
import { bronzeFormat } from './formats.js';
import { frameNdjson, stagedLineLimit } from './frame.js';
import { frameJson } from './json-items.js';
import type { Rejection } from './rejection.js';

/** The staged form of one Bronze blob: good lines in a local file DuckDB reads, plus rejections. */
export interface StagedBlob {
  readonly index: number;
  readonly blob: ObjectInfo;
  /** `staged + rejections.length`: what the blob counts as in the run report. */
  readonly records: number;
  readonly staged: number;
  /** Decompressed bytes read (no more than `max_blob_bytes` plus one chunk). */
  readonly bytes: number;
  readonly rejections: Rejection[];
  /** Local file of `index \x01 lineNo \x01 json` lines, or null when nothing was staged. */
  readonly file: string | null;
}

const SEP = 0x01;
/** Field separator of staged lines: a byte that cannot occur in a line we stage (frame rejects it). */
export const STAGE_SEPARATOR = String.fromCharCode(SEP);

/**
 * Frames each blob into `<dir>/<index>.txt`, a few blobs at a time (gunzip runs on libuv's
 * thread pool, so two cores stay busy). Every line is either staged or rejected here; a blob
 * rejected whole (over `maxBlobBytes`, or a `.json` blob that is not one array or value) keeps
 * no staged line and counts as one record.
 */
export async function stageBlobs(
  store: ObjectStore,
  blobs: readonly ObjectInfo[],
  dir: string,
  options: FrameLimits & { readonly onBlob?: (done: number, total: number) => void },
): Promise<StagedBlob[]> {
  let done = 0;
  return mapConcurrently(blobs, 4, async (blob, index) => {
    const staged = await stageOne(store, blob, index, join(dir, `${index}.txt`), options);
    options.onBlob?.(++done, blobs.length);
    return staged;
  });
}

async function stageOne(
  store: ObjectStore,
  blob: ObjectInfo,
  index: number,
  file: string,
  limits: FrameLimits,
): Promise<StagedBlob> {
  const out = new BufferedLineWriter(file, index);
  try {
    const input = await store.readStream(blob.key);
    // `.json` items are staged whole, so they are bounded by what the engine reads per line.
    const framed =
      bronzeFormat(blob.key) === 'json'
        ? await frameJson(input, { ...limits, maxLineBytes: stagedLineLimit(limits.maxLineBytes) }, out)
        : await frameNdjson(input, limits, out);
    if (!framed.ok) {
      out.discard();
      return {
        index,
        blob,
        records: 1,
        staged: 0,
        bytes: framed.bytes,
        rejections: [framed.rejection],
        file: null,
      };
    }
    out.close();
    const { records, staged, rejections, bytes } = framed;
    return { index, blob, records, staged, rejections, bytes, file: staged > 0 ? file : null };
  } catch (err) {
    out.discard();
    throw err;
  }
}

/** Writes the decimal digits of a non-negative integer at `at`; returns the new offset. */
function writeDigits(buf: Buffer, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 0x30 + n;
    return at + 1;
  }
  let digits = 0;
  for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
  let end = at + digits;
  for (let m = n; m > 0; m = Math.floor(m / 10)) buf[--end] = 0x30 + (m % 10);
  return at + digits;
}

/** Writes staged lines through one reused 1 MiB buffer (no allocation per line). */
class BufferedLineWriter implements LineSink {
  private fd: number | undefined;
  private buf = Buffer.allocUnsafe(1 << 20);
  private size = 0;
  private readonly prefix: Buffer;

  constructor(
    private readonly path: string,
    index: number,
  ) {
    this.prefix = Buffer.from(`${index}${STAGE_SEPARATOR}`, 'latin1');
  }

  line(lineNo: number, text: Buffer): void {
    const need = this.prefix.length + 18 + text.length;
    if (this.size + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.buf = Buffer.allocUnsafe(need);
    }
    const buf = this.buf;
    let at = this.size;
    for (let i = 0; i < this.prefix.length; i++) buf[at++] = this.prefix[i]!;
    at = writeDigits(buf, at, lineNo);
    buf[at++] = SEP;
    at += text.copy(buf, at);
    buf[at++] = 0x0a;
    this.size = at;
  }

  private flush(): void {
    if (this.size === 0) return;
    // Synchronous 1 MiB writes to the page cache: cheaper than queueing behind gunzip on libuv's pool.
    this.fd ??= openSync(this.path, 'w');
    let off = 0;
    while (off < this.size) off += writeSync(this.fd, this.buf, off, this.size - off);
    this.size = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /** Drops every line written so far: the staged file is removed. */
  discard(): void {
    this.size = 0;
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    rmSync(this.path, { force: true });
  }
}
