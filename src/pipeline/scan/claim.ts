import { z } from 'zod';
import { ConflictError, PreconditionFailedError, UserError } from '../../errors.js';
import { decodeStored, entitySchema, storedEntity, type Lake } from '../../storage/index.js';
import { newRunId } from '../../lake/index.js';

/** Where the one job claim lives: `checkpoints` table, partition `scan`, row `claim`. */
export const CLAIM_PARTITION = 'scan';
export const CLAIM_ROW = 'claim';

/** A claim expires after this long by default: a job that never ran must not block scans forever. */
export const DEFAULT_CLAIM_TTL_MS = 2 * 60 * 60 * 1000;

const CLAIM_ID = /^scan-\d{8}T\d{6}Z-[0-9a-f]{6}$/;

const claimFieldsSchema = z.object({
  state: z.enum(['claimed', 'released']),
  claim_id: z.string().regex(CLAIM_ID, 'a scan claim id'),
  claimed_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  /** Bronze blobs pending when the claim was taken (the job processes whatever is pending when it runs). */
  blobs: z.number().int().nonnegative(),
  manifest: z.string(),
  launcher: z.string(),
  execution: z.string().nullable(),
  released_at: z.iso.datetime().nullable(),
  release_reason: z.string().nullable(),
});

/** The claim entity as stored; one that does not decode is damaged (`DamagedStateError`). */
const claimEntitySchema = entitySchema(claimFieldsSchema.shape);

export type ClaimFields = z.output<typeof claimFieldsSchema>;
export type ClaimEntity = z.output<typeof claimEntitySchema>;

export interface Claim {
  readonly entity: ClaimEntity;
  readonly etag: string;
}

export function newClaimId(now: Date): string {
  return `scan-${newRunId(now)}`;
}

export function isClaimId(text: string): boolean {
  return CLAIM_ID.test(text);
}

export async function readClaim(lake: Lake): Promise<Claim | undefined> {
  const table = lake.tables('checkpoints');
  const stored = await table.get(CLAIM_PARTITION, CLAIM_ROW);
  if (!stored) return undefined;
  const where = storedEntity(table, CLAIM_PARTITION, CLAIM_ROW);
  return { entity: decodeStored(claimEntitySchema, stored.entity, where), etag: stored.etag };
}

/** A claim that still holds: taken, not released, not expired at `now`. */
export function isActive(claim: Claim | undefined, now: Date): claim is Claim {
  return claim?.entity.state === 'claimed' && Date.parse(claim.entity.expires_at) > now.getTime();
}

/**
 * Takes the claim with an ETag-guarded write: creates it if there was none, else replaces
 * exactly the version `previous` read. Returns undefined when another scan won the race.
 */
export async function takeClaim(
  lake: Lake,
  previous: Claim | undefined,
  entity: ClaimFields,
): Promise<Claim | undefined> {
  const table = lake.tables('checkpoints');
  const full: ClaimEntity = { partitionKey: CLAIM_PARTITION, rowKey: CLAIM_ROW, ...entity };
  try {
    const etag = previous ? await table.update(full, previous.etag) : await table.create(full);
    return { entity: full, etag };
  } catch (err) {
    if (err instanceof ConflictError || err instanceof PreconditionFailedError) return undefined;
    throw err;
  }
}

/**
 * Releases the claim `claimId` (ETag-guarded: a newer claim is left alone). Returns whether this
 * call released it.
 */
export async function releaseClaim(
  lake: Lake,
  claimId: string,
  reason: string,
  now = new Date(),
): Promise<boolean> {
  const current = await readClaim(lake);
  if (!current || current.entity.claim_id !== claimId || current.entity.state !== 'claimed') return false;
  try {
    await lake
      .tables('checkpoints')
      .update(
        { ...current.entity, state: 'released', released_at: now.toISOString(), release_reason: reason },
        current.etag,
      );
    return true;
  } catch (err) {
    if (err instanceof PreconditionFailedError) return false;
    throw err;
  }
}

/** Records the launcher's execution id on the claim, if the claim is still the one we took. */
export async function recordExecution(lake: Lake, claim: Claim, execution: string): Promise<void> {
  try {
    await lake.tables('checkpoints').update({ ...claim.entity, execution }, claim.etag);
  } catch (err) {
    // The job may already have finished and released the claim (local launcher): nothing to record.
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
}

/**
 * Checks the claim a job run was started for (`run --claim <id>`): it must exist, or the job
 * does not see the storage the scan used. A run without `--claim` (by hand) leaves claims
 * alone: releasing a running job's claim could let a second job run concurrently.
 */
export async function checkClaim(lake: Lake, claimId: string | undefined): Promise<string | undefined> {
  if (claimId === undefined) return undefined;
  if (!isClaimId(claimId)) {
    throw new UserError(`--claim '${claimId}' is not a scan claim id (scan-YYYYMMDDTHHMMSSZ-xxxxxx)`);
  }
  if (!(await readClaim(lake))) {
    throw new UserError(
      `scan claim ${claimId} not found in ${lake.describe()}: the job does not see the storage the scan used; set DP_STORAGE_ACCOUNT (or DP_STORAGE_CONNECTION_STRING) in the job's environment`,
    );
  }
  return claimId;
}
