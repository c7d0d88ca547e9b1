import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FrameLimits } from './blob-stream.js';
import type { FramedBlob } from './stage.js';

/** What the main thread asks a frame worker: one blob's (compressed) bytes, moved, not copied. */
export interface FrameJob {
  readonly id: number;
  readonly bytes: ArrayBuffer;
  readonly key: string;
  readonly index: number;
  readonly file: string;
  readonly limits: FrameLimits;
}

/** A worker's answer: the framed blob, or the error framing it threw (message and errno code). */
export type FrameReply =
  | { readonly id: number; readonly framed: FramedBlob }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: string } };

/** The worker program, compiled next to this module; absent when it runs from TypeScript sources. */
const WORKER_URL = new URL('./frame-worker.js', import.meta.url);

/** Frame workers by default: every core, at most 4; none on a single core (nothing to gain). */
export function defaultFrameWorkers(): number {
  const cores = availableParallelism();
  return cores < 2 ? 0 : Math.min(4, cores);
}

interface Pending {
  readonly resolve: (framed: FramedBlob) => void;
  readonly reject: (error: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  readonly jobs: Map<number, Pending>;
  /** Why the worker ended (an error or exit), once it has: no blob is sent to it after that. */
  ended?: Error;
}

/**
 * Worker threads framing blobs (see `stageBlobs`): each blob goes to the least busy worker. A
 * framing error rejects that blob's promise (the batch fails as it would on this thread); a
 * worker that dies rejects every blob it held and is sent no more (when none is left, a blob is
 * rejected at once). {@link close} ends the workers.
 */
export class FramePool {
  #nextId = 0;

  private constructor(private readonly threads: Thread[]) {}

  /**
   * A pool of `size` workers, or undefined when `size` < 1 or the worker program is not built.
   * `program` replaces the worker's program (tests use it to make a worker die).
   */
  static start(size: number, program: URL = WORKER_URL): FramePool | undefined {
    if (size < 1 || !existsSync(fileURLToPath(program))) return undefined;
    const threads = Array.from({ length: Math.floor(size) }, () => {
      const thread: Thread = { worker: new Worker(program, { execArgv: [] }), jobs: new Map() };
      thread.worker.on('message', (reply: FrameReply) => {
        const job = thread.jobs.get(reply.id);
        thread.jobs.delete(reply.id);
        if (!job) return;
        if ('framed' in reply) job.resolve(reply.framed);
        else job.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      });
      const fail = (error: Error): void => {
        thread.ended ??= error;
        const jobs = [...thread.jobs.values()];
        thread.jobs.clear();
        for (const job of jobs) job.reject(error);
      };
      thread.worker.on('error', (error) =>
        fail(new Error(`a Bronze framing worker failed: ${error.message}`)),
      );
      thread.worker.on('exit', (code) => fail(new Error(`a Bronze framing worker exited (code ${code})`)));
      return thread;
    });
    return new FramePool(threads);
  }

  get size(): number {
    return this.threads.length;
  }

  /** Frames `bytes` (a whole blob, gzip or not) on the least busy worker; see `frameToFile`. */
  frame(bytes: Buffer, key: string, index: number, file: string, limits: FrameLimits): Promise<FramedBlob> {
    const live = this.threads.filter((t) => t.ended === undefined);
    if (live.length === 0) return Promise.reject(this.threads[0]!.ended!);
    const thread = live.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    // A small Buffer may share its ArrayBuffer with others (Node's pool): move a copy of its bytes.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const moved = (
      whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
    ) as ArrayBuffer;
    const id = this.#nextId++;
    const job: FrameJob = {
      id,
      bytes: moved,
      key,
      index,
      file,
      limits: { maxLineBytes: limits.maxLineBytes, maxBlobBytes: limits.maxBlobBytes },
    };
    return new Promise((resolve, reject) => {
      thread.jobs.set(id, { resolve, reject });
      thread.worker.postMessage(job, [moved]);
    });
  }

  /** Ends every worker (blobs still in flight are rejected). */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
