import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { DpPipelineError } from '../../errors.js';
import { pngRenderOptions } from './rasterize.js';

interface Job {
  readonly resolve: (png: Buffer) => void;
  readonly reject: (error: Error) => void;
}

type Reply =
  { readonly id: number; readonly png: Uint8Array } | { readonly id: number; readonly error: string };

/**
 * The worker's whole program, plain CommonJS so it runs the same from `src/` (tests) and `dist/`.
 * It only calls resvg with the options the main thread chose (see `pngRenderOptions`), so its
 * PNGs are byte for byte those of `rasterizeSvg`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Resvg } = require(workerData.resvg);
parentPort.on('message', ({ id, svg, options }) => {
  let reply;
  try {
    reply = { id, png: new Resvg(svg, options).render().asPng() };
  } catch (error) {
    reply = { id, error: String((error && error.message) || error) };
  }
  parentPort.postMessage(reply);
});
`;

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
 * Rasterizes chart SVGs to PNG on one worker thread, so resvg's CPU work overlaps the main
 * thread's (Vega, noise, DuckDB's callbacks). The PNGs are identical to `rasterizeSvg`'s. The
 * worker starts on first use, keeps the process alive only while a PNG is pending, and ends with
 * {@link close}; a PNG that fails rejects its own promise, and a worker that dies rejects every
 * PNG it owed (the next call starts a new one).
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
  #thread: Thread | undefined;
  #nextId = 0;
  #closed = false;
  readonly #source: string;

  /** `workerSource` replaces the worker's program; tests use it to make a worker die. */
  constructor(options: { readonly workerSource?: string } = {}) {
    this.#source = options.workerSource ?? WORKER_SOURCE;
  }

  /** The PNG of a chart's SVG, drawn on the worker thread. */
  rasterize(svg: string): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new ChartRasterError('the PNG rasterizer is closed'));
    let options: ResvgRenderOptions;
    try {
      options = pngRenderOptions(svg);
    } catch (error) {
      return Promise.reject(new ChartRasterError('cannot rasterize chart', { cause: error }));
    }
    const { worker, jobs } = (this.#thread ??= this.#start());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      jobs.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, svg, options });
    });
  }

  /** Ends the worker; PNGs still pending are rejected. Safe to call more than once. */
  async close(): Promise<void> {
    this.#closed = true;
    const thread = this.#thread;
    this.#thread = undefined;
    if (!thread) return;
    failAll(thread, new ChartRasterError('the PNG rasterizer was closed before the chart was drawn'));
    await thread.worker.terminate();
  }

  #start(): Thread {
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
      if (this.#thread === thread) this.#thread = undefined;
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
