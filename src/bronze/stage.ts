import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { mapConcurrently } from '../concurrency.js';
import type { ObjectInfo, ObjectStore } from '../storage/index.js';
import type { FrameLimits, LineSink } from './blob-stream.js';
import { bronzeFormat } from './formats.js';
import { frameNdjson, stagedLineLimit } from './frame.js';
import { defaultFrameWorkers, FramePool } from './frame-pool.js';
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

/** Blobs of at most this many (compressed) bytes are framed on a worker thread, read whole first. */
export const WORKER_BLOB_BYTES = 16 * 1024 * 1024;

/**
 * Frames each blob into `<dir>/<index>.txt`, a few blobs at a time. Every line is either staged
 * or rejected here; a blob rejected whole (over `maxBlobBytes`, or a `.json` blob that is not one
 * array or value) keeps no staged line and counts as one record.
 *
 * Framing is CPU work in JavaScript (gunzip, line splitting, UTF-8 and limit checks), so with
 * `workers` > 0 blobs of at most {@link WORKER_BLOB_BYTES} are read whole on this thread and
 * framed on a pool of worker threads (`frame-worker.js`, the same {@link frameToFile}); larger
 * blobs, and every blob when no worker can start (e.g. the module runs from TypeScript sources),
 * are streamed and framed here. Either way the staged files and results are the same.
 */
export async function stageBlobs(
  store: ObjectStore,
  blobs: readonly ObjectInfo[],
  dir: string,
  options: FrameLimits & {
    readonly onBlob?: (done: number, total: number) => void;
    /** Worker threads framing blobs (default: every core, at most 4; 0 frames on this thread). */
    readonly workers?: number;
  },
): Promise<StagedBlob[]> {
  const { onBlob, workers = defaultFrameWorkers(), ...limits } = options;
  const pool = blobs.length > 1 ? FramePool.start(Math.min(workers, blobs.length)) : undefined;
  let done = 0;
  try {
    return await mapConcurrently(blobs, pool ? pool.size * 2 : 4, async (blob, index) => {
      const file = join(dir, `${index}.txt`);
      const framed =
        pool && blob.size <= WORKER_BLOB_BYTES
          ? await pool.frame(await store.read(blob.key), blob.key, index, file, limits)
          : await frameToFile(await store.readStream(blob.key), blob.key, index, file, limits);
      onBlob?.(++done, blobs.length);
      return { index, blob, ...framed };
    });
  } finally {
    await pool?.close();
  }
}

/** A {@link StagedBlob} without its position: what framing one blob yields. */
export type FramedBlob = Omit<StagedBlob, 'index' | 'blob'>;

/**
 * Frames one blob's bytes (`key` decides NDJSON or JSON) into `file`, lines prefixed with
 * `index` and their line number. The one framing rule, run on this thread or a worker.
 */
export async function frameToFile(
  input: Readable,
  key: string,
  index: number,
  file: string,
  limits: FrameLimits,
): Promise<FramedBlob> {
  const out = new BufferedLineWriter(file, index);
  try {
    // `.json` items are staged whole, so they are bounded by what the engine reads per line.
    const framed =
      bronzeFormat(key) === 'json'
        ? await frameJson(input, { ...limits, maxLineBytes: stagedLineLimit(limits.maxLineBytes) }, out)
        : await frameNdjson(input, limits, out);
    if (!framed.ok) {
      out.discard();
      return { records: 1, staged: 0, bytes: framed.bytes, rejections: [framed.rejection], file: null };
    }
    out.close();
    const { records, staged, rejections, bytes } = framed;
    return { records, staged, rejections, bytes, file: staged > 0 ? file : null };
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
