import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON-lines logs on stderr (stdout is for command output). Level from
 * `DP_LOG_LEVEL` (default `warn` in the CLI, so a run prints only its summary).
 * Never log raw user ids or raw values: log counts, codes, object keys and run ids.
 */
export function createLogger(level = process.env.DP_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ level, base: { service: 'dp-pipeline' } }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
