import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { DpPipelineError } from '../../errors.js';
import { encodePng } from './png-encode.js';
import { pngRenderOptions } from './rasterize.js';

interface Job {
  readonly resolve: (png: Buffer) => void;
  readonly reject: (error: Error) => void;
}

type Reply =
  { readonly id: number; readonly png: Uint8Array } | { readonly id: number; readonly error: string };

/**
 * The worker's whole program, plain CommonJS so it runs the same from `src/` (tests) and `dist/`.
 * It calls resvg with the options the main thread chose (see `pngRenderOptions`) and encodes the
 * pixels with `encodePng`'s own source text, so its PNGs are byte for byte those of `rasterizeSvg`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const { Resvg } = require(workerData.resvg);
const encodePng = ${encodePng.toString()};
parentPort.on('message', ({ id, svg, options }) => {
  let reply;
  try {
    const image = new Resvg(svg, options).render();
    reply = { id, png: encodePng(image.pixels, image.width, image.height, zlib) };
  } catch (error) {
    reply = { id, error: String((error && error.message) || error) };
  }
  parentPort.postMessage(reply);
});
`;

/**
 * The pool's default size: two workers, or one on a single core. Each worker holds ≈ 170 MiB
 * once it has drawn the year's largest charts (resvg's pixmaps, kept by the thread's allocator):
 * two fit the run's 768 MiB target, four on a 4-vCPU job would take the process near 1 GiB.
 */
export const PNG_WORKERS = 2;

/** A chart's PNG could not be drawn (internal error, exit 2); `cause` or the message says why. */
export class ChartRasterError extends DpPipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHART_RASTER_FAILED', message, options);
  }
}

/** A running worker and the PNGs it owes. */
interface Thread {
  readonly worker: Worker;
  readonly jobs: Map<number, Job>;
}

/**
 * Rasterizes chart SVGs to PNG on a pool of worker threads ({@link PNG_WORKERS} by default), so
 * resvg's CPU work runs beside the main thread (Vega, noise, DuckDB's callbacks).
 * The PNGs are identical to `rasterizeSvg`'s. A worker starts on first use, keeps the process
 * alive only while a PNG is pending on it, and ends with {@link close}; a PNG that fails rejects
 * its own promise, and a worker that dies rejects every PNG it owed (the next call starts a new one).
 *
 * @example
 * ```ts
 * const rasterizer = new PngRasterizer();
 * try {
 *   const png = await rasterizer.rasterize(svg);
 * } finally {
 *   await rasterizer.close();
 * }
 * ```
 */
export class PngRasterizer {
  readonly #threads: (Thread | undefined)[];
  #nextId = 0;
  #closed = false;
  readonly #source: string;

  /**
   * `threads`: the pool's size (default: {@link PNG_WORKERS}, at most the cores available).
   * `workerSource` replaces the worker's program; tests use it to make a worker die.
   */
  constructor(options: { readonly workerSource?: string; readonly threads?: number } = {}) {
    this.#source = options.workerSource ?? WORKER_SOURCE;
    const size = options.threads ?? Math.min(PNG_WORKERS, availableParallelism());
    this.#threads = new Array<Thread | undefined>(Math.max(1, Math.floor(size))).fill(undefined);
  }

  /** How many worker threads the pool runs at most. */
  get size(): number {
    return this.#threads.length;
  }

  /** PNGs asked for and not yet drawn, on every worker. */
  get pending(): number {
    return this.#threads.reduce((n, t) => n + (t?.jobs.size ?? 0), 0);
  }

  /** The PNG of a chart's SVG, drawn on the least busy worker thread. */
  rasterize(svg: string): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new ChartRasterError('the PNG rasterizer is closed'));
    let options: ResvgRenderOptions;
    try {
      options = pngRenderOptions(svg);
    } catch (error) {
      return Promise.reject(new ChartRasterError('cannot rasterize chart', { cause: error }));
    }
    const { worker, jobs } = this.#leastBusy();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      jobs.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, svg, options });
    });
  }

  /** Ends the workers; PNGs still pending are rejected. Safe to call more than once. */
  async close(): Promise<void> {
    this.#closed = true;
    const threads = this.#threads.flatMap((t) => (t ? [t] : []));
    this.#threads.fill(undefined);
    for (const thread of threads) {
      failAll(thread, new ChartRasterError('the PNG rasterizer was closed before the chart was drawn'));
    }
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** An idle or the least loaded worker, started in a free slot while the pool is not full. */
  #leastBusy(): Thread {
    let best: Thread | undefined;
    for (const [slot, thread] of this.#threads.entries()) {
      if (!thread) return (this.#threads[slot] = this.#start(slot));
      if (!best || thread.jobs.size < best.jobs.size) best = thread;
    }
    return best!;
  }

  #start(slot: number): Thread {
    const worker = new Worker(this.#source, {
      eval: true,
      // Not the parent's flags: with e.g. --input-type=module the program would not be CommonJS.
      execArgv: [],
      workerData: { resvg: createRequire(import.meta.url).resolve('@resvg/resvg-js') },
    });
    const thread: Thread = { worker, jobs: new Map() };
    worker.on('message', (reply: Reply) => {
      const job = thread.jobs.get(reply.id);
      thread.jobs.delete(reply.id);
      if (thread.jobs.size === 0) worker.unref();
      if (!job) return;
      if ('error' in reply) job.reject(new ChartRasterError(`cannot rasterize chart: ${reply.error}`));
      else job.resolve(Buffer.from(reply.png.buffer, reply.png.byteOffset, reply.png.byteLength));
    });
    const die = (error: ChartRasterError): void => {
      if (this.#threads[slot] === thread) this.#threads[slot] = undefined;
      failAll(thread, error);
    };
    worker.on('error', (error) => die(new ChartRasterError('the PNG worker failed', { cause: error })));
    worker.on('exit', (code) => die(new ChartRasterError(`the PNG worker exited (code ${code})`)));
    worker.unref();
    return thread;
  }
}

function failAll(thread: Thread, error: Error): void {
  const jobs = [...thread.jobs.values()];
  thread.jobs.clear();
  for (const job of jobs) job.reject(error);
}
