import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LeaseOwner } from '../errors.js';

/**
 * Whether process `pid` runs on this machine. `kill(pid, 0)` probes without signalling (EPERM:
 * it runs, as another user); a zombie (killed, not yet reaped by its parent) counts as dead.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (err) {
    // Gone from /proc: it exited since the probe. No /proc at all (not Linux): trust the probe.
    return !((err as { code?: unknown }).code === 'ENOENT' && existsSync('/proc/self/stat'));
  }
}

/** Why the owner `{ pid, host }` is gone, when it ran on this machine and has exited. */
export function deadOwnerReason(owner: { readonly pid: number; readonly host: string }): string | undefined {
  if (owner.host !== hostname()) return undefined;
  return isProcessAlive(owner.pid) ? undefined : `pid ${owner.pid} is no longer running on ${owner.host}`;
}

/** `run 20261123T090102Z-a1b2c3 (pid 4242 on build-7, since 2026-11-23T09:01:02.000Z)` */
export function describeOwner(owner: LeaseOwner): string {
  return `${owner.command} ${owner.runId} (pid ${owner.pid} on ${owner.host}, since ${owner.since})`;
}
