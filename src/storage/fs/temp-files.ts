import { randomBytes } from 'node:crypto';

/** Marks the temp file of a write in progress: `<target>.dp-tmp-<pid>-<12 hex>`. */
export const TMP_MARK = '.dp-tmp-';

/** A fresh temp path next to `target`, naming this process so a sweep can tell it is alive. */
export function tempPathFor(target: string): string {
  return `${target}${TMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** `.dp-tmp-<pid>-<hex>`; earlier versions wrote `.dp-tmp-<hex>` (objects) and `.tmp-<pid>` (tables). */
const TEMP_FILE = /\.dp-tmp-(?:(\d+)-)?[0-9a-f]{12}$/;
const LEGACY_TABLE_TEMP = /\.json\.tmp-(\d+)$/;

/** Whether `name` is a temp file, and the pid of its writer when the name says. */
export function tempFileOwner(name: string): { readonly pid: number | undefined } | undefined {
  const m = TEMP_FILE.exec(name) ?? LEGACY_TABLE_TEMP.exec(name);
  if (!m) return undefined;
  return { pid: m[1] === undefined ? undefined : Number(m[1]) };
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
