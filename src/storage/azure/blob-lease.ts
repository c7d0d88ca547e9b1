import { randomUUID } from 'node:crypto';
import type { BlobLeaseClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { LeaseHeldError, LeaseLostError, type LeaseOwner } from '../../errors.js';
import { deadOwnerReason, describeOwner } from '../lease-owner.js';
import type { HeldLease, Lease, LeaseHolder, OperationOptions } from '../types.js';
import { azureCode, azureStatus } from './translate-error.js';

/** Blob lease duration: the service frees a lease 60 s after its holder stopped renewing. */
const LEASE_SECONDS = 60;
const RENEW_EVERY_MS = 15_000;

/** The owner as blob metadata (names are case-insensitive for the service: lowercase only). */
const OwnerMetadata = z.object({
  dp_run_id: z.string(),
  dp_command: z.string(),
  dp_pid: z.string().regex(/^\d+$/),
  dp_host: z.string(),
  dp_since: z.string(),
});

/**
 * A lease as a Blob lease on `leases/<name>` in the `private` container (60 s, renewed every 15 s),
 * the holder recorded in the blob's metadata. Taking it is `acquireLease` then writing the
 * metadata under the new lease id: only when both succeed is the lease ours. A holder whose pid
 * is dead on this host is broken at once, guarded by the blob's ETag (the metadata write changes
 * it), so a second breaker cannot break the lease the first one just took; any other stale
 * holder's lease is freed by the service when it stops renewing.
 */
export class BlobLease implements Lease {
  private ready: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly container: ContainerClient,
  ) {}

  private get blob(): BlockBlobClient {
    return this.container.getBlockBlobClient(`leases/${this.name}`);
  }

  /** The container and the (empty) lease blob, created once. */
  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      await this.container.createIfNotExists().catch((err: unknown) => {
        if (azureStatus(err) !== 403) throw err; // 403: may use, may not create (Bicep creates it)
      });
      await this.blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((err: unknown) => {
        const status = azureStatus(err);
        if (status !== 409 && status !== 412) throw err; // already there (and maybe leased)
      });
    })().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async state(options: OperationOptions): Promise<{ holder?: LeaseHolder; etag?: string }> {
    const p = await this.blob.getProperties({ abortSignal: options.abortSignal });
    if (p.leaseState !== 'leased') return { etag: p.etag };
    const meta = OwnerMetadata.safeParse(p.metadata ?? {});
    const owner: LeaseOwner = meta.success
      ? {
          runId: meta.data.dp_run_id,
          command: meta.data.dp_command,
          pid: Number(meta.data.dp_pid),
          host: meta.data.dp_host,
          since: meta.data.dp_since,
        }
      : {
          // Leased, owner not written yet (a holder between its two steps) or by another tool.
          runId: 'unknown',
          command: 'a writer',
          pid: 0,
          host: 'unknown',
          since: (p.lastModified ?? new Date()).toISOString(),
        };
    const stale = meta.success ? deadOwnerReason(owner) : undefined;
    return { holder: stale ? { owner, stale } : { owner }, etag: p.etag };
  }

  async holder(options: OperationOptions = {}): Promise<LeaseHolder | undefined> {
    await this.ensure();
    return (await this.state(options)).holder;
  }

  async acquire(owner: LeaseOwner, options: OperationOptions = {}): Promise<HeldLease> {
    await this.ensure();
    const abort = { abortSignal: options.abortSignal };
    let broke: LeaseHolder | undefined;
    for (let attempt = 0; ; attempt++) {
      const client = this.blob.getBlobLeaseClient(randomUUID());
      try {
        await client.acquireLease(LEASE_SECONDS, abort);
      } catch (err) {
        if (azureStatus(err) !== 409) throw err;
        const { holder, etag } = await this.state(options);
        if (holder?.stale && etag && attempt < 10) {
          // Break exactly the lease we judged dead: the ETag changes when a new holder writes its owner.
          await client.breakLease(0, { ...abort, conditions: { ifMatch: etag } }).catch((e: unknown) => {
            if (azureStatus(e) !== 412 && azureStatus(e) !== 409) throw e;
          });
          broke = holder;
          continue;
        }
        if (!holder) {
          if (attempt < 20) continue; // freed between the two calls: try again
          throw new Error(`internal: lease '${this.name}' is neither free nor held after 20 attempts`, {
            cause: err,
          });
        }
        throw new LeaseHeldError(
          `lease '${this.name}' is held by ${describeOwner(holder.owner)}`,
          holder.owner,
        );
      }
      try {
        await this.blob.setMetadata(
          {
            dp_run_id: owner.runId,
            dp_command: owner.command,
            dp_pid: String(owner.pid),
            dp_host: owner.host,
            dp_since: owner.since,
          },
          { ...abort, conditions: { leaseId: client.leaseId } },
        );
      } catch (err) {
        if (azureStatus(err) === 412 || azureStatus(err) === 409) continue; // broken meanwhile: look again
        throw err;
      }
      return new BlobHeldLease(this.name, client, owner, broke);
    }
  }
}

class BlobHeldLease implements HeldLease {
  readonly renewEveryMs = RENEW_EVERY_MS;

  constructor(
    private readonly name: string,
    private readonly client: BlobLeaseClient,
    readonly owner: LeaseOwner,
    readonly broke: LeaseHolder | undefined,
  ) {}

  async renew(options: OperationOptions = {}): Promise<void> {
    try {
      await this.client.renewLease({ abortSignal: options.abortSignal });
    } catch (err) {
      if (azureStatus(err) === 409 || azureStatus(err) === 412) {
        throw new LeaseLostError(
          `lost the lease '${this.name}' (${azureCode(err) ?? 'conflict'}): another writer took it after this process stopped renewing it`,
        );
      }
      throw err;
    }
  }

  async release(options: OperationOptions = {}): Promise<void> {
    try {
      await this.client.releaseLease({ abortSignal: options.abortSignal });
    } catch (err) {
      if (azureStatus(err) !== 409 && azureStatus(err) !== 412) throw err; // already lost: nothing to free
    }
  }
}
