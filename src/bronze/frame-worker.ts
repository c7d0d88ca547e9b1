/**
 * A Bronze framing worker (see `FramePool`): frames each blob it is sent with `frameToFile`, the
 * same code the main thread runs, and answers with the result or the error's message and code.
 */
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import type { FrameJob, FrameReply } from './frame-pool.js';
import { frameToFile } from './stage.js';

const port = parentPort;
if (!port) throw new Error('frame-worker.js runs as a worker thread (see FramePool)');
port.on('message', (job: FrameJob) => {
  const reply = (r: FrameReply): void => port.postMessage(r);
  frameToFile(Readable.from([Buffer.from(job.bytes)]), job.key, job.index, job.file, job.limits).then(
    (framed) => reply({ id: job.id, framed }),
    (error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      reply({
        id: job.id,
        error: {
          message: error instanceof Error ? error.message : String(error),
          ...(typeof code === 'string' ? { code } : {}),
        },
      });
    },
  );
});
