import { randomBytes } from 'node:crypto';

/** A run id: `20261123T090102Z-a1b2c3`, sortable by start time. Branded so any string is not one. */
export type RunId = string & { readonly __brand: 'RunId' };

const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
const RUN_ID_SOURCE = String.raw`\d{8}T\d{6}Z-[0-9a-f]{6}`;

/** A sortable, unique run id: `20261123T090102Z-a1b2c3`. */
export function newRunId(now = new Date()): RunId {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}` as RunId;
}

export function isRunId(text: string): text is RunId {
  return RUN_ID.test(text);
}

/** The run id in a data file name `…/part-<run>[-<i>].parquet` (Silver, activity ledger, blob index). */
export function runIdOfPartFile(key: string): RunId | undefined {
  const m = new RegExp(String.raw`/part-(${RUN_ID_SOURCE})(?:-\d+)?\.parquet$`).exec(key);
  return m?.[1] as RunId | undefined;
}
