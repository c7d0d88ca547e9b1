import { serve as honoServe } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the app with `node:http`, on 127.0.0.1 unless told otherwise. Port 0 picks a free port. */
export async function serveApp(
  app: Hono,
  options: { port: number; hostname?: string },
): Promise<RunningServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  return await new Promise((resolve, reject) => {
    const server = honoServe({ fetch: app.fetch, port: options.port, hostname }, (info: AddressInfo) => {
      resolve({
        url: `http://${hostname}:${info.port}`,
        close: () => new Promise<void>((done, fail) => server.close((e) => (e ? fail(e) : done()))),
      });
    });
    server.once('error', reject);
  });
}
