import { randomBytes } from 'node:crypto';

const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** A sortable, unique run id: `20261123T090102Z-a1b2c3`. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

/** The run id in a Silver file name `part-<run>[-<i>].parquet`, if any. */
export function runIdOfSilverFile(key: string): string | undefined {
  const m = /\/part-(\d{8}T\d{6}Z-[0-9a-f]{6})(?:-\d+)?\.parquet$/.exec(key);
  return m?.[1];
}
