import { link, mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LeaseHeldError, LeaseLostError, type LeaseOwner } from '../../errors.js';
import { deadOwnerReason, describeOwner } from '../lease-owner.js';
import type { HeldLease, Lease, LeaseHolder } from '../types.js';
import { isErrno, tempPathFor } from './temp-files.js';

export interface FsLeaseOptions {
  /** How often a holder renews its heartbeat (default 2 s). */
  readonly renewEveryMs?: number;
  /** A holder whose heartbeat is older than this is stale (default 10 s). */
  readonly staleAfterMs?: number;
}

const SCHEMA = 'dp-pipeline/lease@1';
const GENERATION_FILE = /^(\d{12})\.json$/;

const LeaseFile = z.object({
  schema: z.literal(SCHEMA),
  name: z.string(),
  generation: z.number().int().positive(),
  owner: z.object({
    runId: z.string(),
    command: z.string(),
    pid: z.number().int(),
    host: z.string(),
    since: z.string(),
  }),
  released_at: z.string().nullable(),
});
type LeaseFile = z.infer<typeof LeaseFile>;

interface Generation {
  readonly generation: number;
  readonly path: string;
  /** Undefined when the file does not parse (written by another version, or damaged). */
  readonly file: LeaseFile | undefined;
  /** The heartbeat: the holder touches its file. */
  readonly mtimeMs: number;
}

/**
 * A lease as generation files `<dir>/<generation>.json`: the highest generation is the lease's
 * state (its holder, or released). Taking the lease creates the next generation with an atomic
 * create-if-absent (write a temp file, then `link`), so of several processes that found the same
 * generation free or stale, exactly one gets the next one; generations are never reused (a
 * release marks its file released), so a slow process can never take a generation that someone
 * else already moved past. The holder's heartbeat is its file's mtime.
 */
export class FsLease implements Lease {
  private readonly renewEveryMs: number;
  private readonly staleAfterMs: number;

  constructor(
    readonly name: string,
    private readonly dir: string,
    options: FsLeaseOptions = {},
  ) {
    this.renewEveryMs = options.renewEveryMs ?? 2_000;
    this.staleAfterMs = options.staleAfterMs ?? 10_000;
  }

  /** The highest generation, or undefined when the lease was never taken. */
  async top(): Promise<Generation | undefined> {
    for (;;) {
      const names = await readdir(this.dir).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT')) return [] as string[];
        throw err;
      });
      const generations = names.flatMap((n) => {
        const m = GENERATION_FILE.exec(n);
        return m ? [Number(m[1])] : [];
      });
      if (generations.length === 0) return undefined;
      const generation = Math.max(...generations);
      const path = this.pathOf(generation);
      try {
        const [text, s] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
        const parsed = LeaseFile.safeParse(safeJson(text));
        return { generation, path, file: parsed.success ? parsed.data : undefined, mtimeMs: s.mtimeMs };
      } catch (err) {
        // A newer holder removed it as an old generation between the listing and the read.
        if (!isErrno(err, 'ENOENT')) throw err;
      }
    }
  }

  private pathOf(generation: number): string {
    return join(this.dir, `${String(generation).padStart(12, '0')}.json`);
  }

  private holderOf(top: Generation): LeaseHolder | undefined {
    if (top.file && top.file.released_at !== null) return undefined; // released: free
    const owner = top.file?.owner ?? unknownOwner(top);
    const age = Date.now() - top.mtimeMs;
    const stale =
      (top.file ? deadOwnerReason(owner) : undefined) ??
      (age > this.staleAfterMs ? `no heartbeat for ${Math.round(age / 1000)} s` : undefined);
    return stale ? { owner, stale } : { owner };
  }

  async holder(): Promise<LeaseHolder | undefined> {
    const top = await this.top();
    return top ? this.holderOf(top) : undefined;
  }

  async acquire(owner: LeaseOwner): Promise<HeldLease> {
    await mkdir(this.dir, { recursive: true });
    for (;;) {
      const top = await this.top();
      const current = top ? this.holderOf(top) : undefined;
      if (current && !current.stale) {
        throw new LeaseHeldError(
          `lease '${this.name}' is held by ${describeOwner(current.owner)}`,
          current.owner,
        );
      }
      const generation = (top?.generation ?? 0) + 1;
      const path = this.pathOf(generation);
      const body: LeaseFile = { schema: SCHEMA, name: this.name, generation, owner, released_at: null };
      const tmp = tempPathFor(path);
      try {
        await writeFile(tmp, JSON.stringify(body, null, 2) + '\n');
        await link(tmp, path);
      } catch (err) {
        if (isErrno(err, 'EEXIST')) continue; // another process took this generation first: look again
        throw err;
      } finally {
        await rm(tmp, { force: true });
      }
      for (let g = generation - 1; g >= Math.max(1, generation - 50); g--)
        await rm(this.pathOf(g), { force: true });
      return new FsHeldLease(this, generation, path, body, this.renewEveryMs, current);
    }
  }
}

class FsHeldLease implements HeldLease {
  readonly owner: LeaseOwner;

  constructor(
    private readonly lease: FsLease,
    private readonly generation: number,
    private readonly path: string,
    private readonly body: LeaseFile,
    readonly renewEveryMs: number,
    readonly broke: LeaseHolder | undefined,
  ) {
    this.owner = body.owner;
  }

  async renew(): Promise<void> {
    const top = await this.lease.top();
    if (!top || top.generation !== this.generation || top.file?.released_at !== null) {
      const by = top?.file && top.generation !== this.generation ? describeOwner(top.file.owner) : undefined;
      throw new LeaseLostError(
        by
          ? `lost the lease '${this.lease.name}' to ${by} (this process stopped renewing it for too long)`
          : `lost the lease '${this.lease.name}': its file ${this.path} was released or removed`,
      );
    }
    const now = new Date();
    await utimes(this.path, now, now);
  }

  async release(): Promise<void> {
    const top = await this.lease.top();
    if (!top || top.generation !== this.generation || top.file?.released_at !== null) return;
    const tmp = tempPathFor(this.path);
    try {
      await writeFile(
        tmp,
        JSON.stringify({ ...this.body, released_at: new Date().toISOString() }, null, 2) + '\n',
      );
      await rename(tmp, this.path);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

/** The holder of a lease file this version cannot read (damaged, or from a newer version). */
function unknownOwner(top: Generation): LeaseOwner {
  return {
    runId: `unknown (unreadable ${top.path})`,
    command: 'a writer',
    pid: 0,
    host: 'unknown',
    since: new Date(top.mtimeMs).toISOString(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
