import { Option, type Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { UserError } from '../../errors.js';
import { createApp, parseApiKeys, serveApp } from '../../http/index.js';
import { createLogger } from '../../log.js';
import { openLake } from '../lake.js';
import { configOption, lakeOption } from '../options.js';
import { productVersion } from '../../version.js';

const port = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UserError(`--port must be 0 to 65535, got '${value}'`);
  return n;
};

export function registerServe(cli: Command): void {
  cli
    .command('serve')
    .description(
      'serve the HTTP API (DAU, MAU, budget, events, erasure) on 127.0.0.1; API keys from DP_API_KEYS, optional /metrics token from DP_METRICS_TOKEN',
    )
    .addOption(new Option('--port <n>', 'port (0: any free port)').argParser(port).default(8080))
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .option('--insecure-no-auth', 'serve without API keys (local experiments only)')
    .addOption(lakeOption())
    .addOption(configOption())
    .action(
      async (opts: {
        port: number;
        host: string;
        insecureNoAuth?: boolean;
        lake: string;
        config?: string;
      }) => {
        const apiKeys = parseApiKeys(process.env.DP_API_KEYS);
        if (apiKeys.length === 0 && !opts.insecureNoAuth) {
          throw new UserError(
            'no API keys: set DP_API_KEYS (comma-separated), or pass --insecure-no-auth to serve without authentication',
          );
        }
        const log = createLogger();
        const app = createApp({
          version: productVersion(),
          lake: openLake(opts),
          config: await loadConfig(opts.config),
          apiKeys,
          insecureNoAuth: opts.insecureNoAuth === true,
          ...(process.env.DP_METRICS_TOKEN?.trim()
            ? { metricsToken: process.env.DP_METRICS_TOKEN.trim() }
            : {}),
          log,
        });
        const server = await serveApp(app, { port: opts.port, hostname: opts.host }).catch((err: unknown) => {
          throw new UserError(`cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`);
        });
        if (apiKeys.length === 0)
          process.stderr.write('dp-pipeline: WARNING serving without authentication\n');
        process.stdout.write(`dp-pipeline serve: listening on ${server.url} (lake ${opts.lake})\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void server.close().then(resolve, resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
}
