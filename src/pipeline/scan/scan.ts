import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import type { Lake } from '../../storage/index.js';
import type { JobLauncher } from '../launch/launcher.js';
import {
  DEFAULT_CLAIM_TTL_MS,
  isActive,
  newClaimId,
  readClaim,
  recordExecution,
  releaseClaim,
  takeClaim,
} from './claim.js';
import { unprocessedBlobs } from '../../lake/index.js';

export interface ScanOptions {
  readonly lake: Lake;
  readonly launcher: JobLauncher;
  readonly log?: Logger;
  readonly now?: Date;
  /** How long a claim holds when its job never releases it (default 2 h). */
  readonly claimTtlMs?: number;
}

/** What one scan did. `started` is true for exactly one of several overlapping scans. */
export type ScanResult =
  | { readonly started: true; readonly pending: number; readonly claimId: string; readonly execution: string }
  | {
      readonly started: false;
      readonly pending: number;
      /** `idle`: nothing new; `busy`: a job holds the claim; `lost_race`: another scan just took it. */
      readonly reason: 'idle' | 'busy' | 'lost_race';
      readonly claimId?: string;
    };

/**
 * The timer's logic: if Bronze holds blobs no run has registered, take the one job claim with
 * an ETag-guarded write and start ONE job execution for them. Overlapping scans race on that
 * write and only the winner launches. If the launch fails, the claim is released and the error
 * rethrown: the blobs stay pending (nothing was checkpointed) for the next scan. A claim whose
 * job never releases it expires after `claimTtlMs`.
 */
export async function scan(options: ScanOptions): Promise<ScanResult> {
  const { lake, launcher } = options;
  const log = options.log ?? silentLogger();
  const now = options.now ?? new Date();
  const pending = await unprocessedBlobs(lake);
  if (pending.length === 0) return { started: false, pending: 0, reason: 'idle' };

  const previous = await readClaim(lake);
  if (isActive(previous, now)) {
    return { started: false, pending: pending.length, reason: 'busy', claimId: previous.entity.claim_id };
  }
  const claimId = newClaimId(now);
  const manifestKey = `scans/${claimId}.json`;
  const claim = await takeClaim(lake, previous, {
    state: 'claimed',
    claim_id: claimId,
    claimed_at: now.toISOString(),
    expires_at: new Date(now.getTime() + (options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS)).toISOString(),
    blobs: pending.length,
    manifest: manifestKey,
    launcher: launcher.kind,
    execution: null,
    released_at: null,
    release_reason: null,
  });
  if (!claim) return { started: false, pending: pending.length, reason: 'lost_race' };

  try {
    const manifest = {
      schema: 'dp-pipeline/scan-manifest@1',
      claim_id: claimId,
      created_at: now.toISOString(),
      blobs: pending.map((b) => ({ key: b.key, etag: b.etag, size: b.size })),
    };
    await lake
      .objects('private')
      .write(manifestKey, JSON.stringify(manifest, null, 2) + '\n', { contentType: 'application/json' });
    const { execution } = await launcher.start({ claimId, manifestKey });
    await recordExecution(lake, claim, execution);
    log.info({ claim: claimId, pending: pending.length, execution, launcher: launcher.kind }, 'job started');
    return { started: true, pending: pending.length, claimId, execution };
  } catch (err) {
    await releaseClaim(lake, claimId, 'launch failed');
    log.warn({ claim: claimId, pending: pending.length }, 'job launch failed; blobs stay pending');
    throw err;
  }
}
