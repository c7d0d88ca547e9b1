import type { Lake } from '../storage/index.js';
import { lakeFromEnv } from '../storage/azure/index.js';

/**
 * The lake a CLI command works on: Azure storage when the environment names it
 * (`DP_STORAGE_CONNECTION_STRING`, or `DP_STORAGE_ACCOUNT` with managed identity), otherwise
 * the local directory given by `--lake`.
 */
export function openLake(opts: { lake: string }, env: NodeJS.ProcessEnv = process.env): Lake {
  return lakeFromEnv(opts.lake, env);
}
