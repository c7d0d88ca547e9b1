import type { Lake } from '../storage/index.js';
import { FsLake } from '../storage/index.js';

/**
 * The lake a CLI command works on: the local directory given by `--lake`.
 * (Azure storage selected by environment arrives with the Azure adapters.)
 */
export function openLake(opts: { lake: string }): Lake {
  return new FsLake(opts.lake);
}
