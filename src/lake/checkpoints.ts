import { mapConcurrently } from '../concurrency.js';
import type { Lake, ObjectInfo } from '../storage/index.js';
import type { RunId } from './run-id.js';

/** Partition of the `checkpoints` table holding the processed-blob registry (row key = blob key). */
export const CHECKPOINT_PARTITION = 'bronze';

/**
 * Marks blobs processed (or ignored) at the ETag that was read, by run `runId`; a re-upload (new
 * ETag) is processed again. Call only after the run's report exists (the commit point).
 */
export async function markProcessed(
  lake: Lake,
  blobs: readonly Pick<ObjectInfo, 'key' | 'etag'>[],
  status: 'processed' | 'ignored',
  by: { readonly runId: RunId; readonly now: Date },
): Promise<void> {
  const table = lake.tables('checkpoints');
  // Independent entities: a few writes in flight at once (each is atomic on its own).
  await mapConcurrently(blobs, 16, (blob) =>
    table.upsert({
      partitionKey: CHECKPOINT_PARTITION,
      rowKey: blob.key,
      etag: blob.etag,
      run_id: by.runId,
      status,
      processed_at: by.now.toISOString(),
    }),
  );
}

/** Forgets a blob's checkpoint (after a rewrite by erasure, or when the blob is gone). */
export async function forgetCheckpoint(lake: Lake, key: string): Promise<boolean> {
  return lake.tables('checkpoints').delete(CHECKPOINT_PARTITION, key);
}

/** Whether the blob `key` has a checkpoint (at any ETag). */
export async function hasCheckpoint(lake: Lake, key: string): Promise<boolean> {
  return (await lake.tables('checkpoints').get(CHECKPOINT_PARTITION, key)) !== undefined;
}

/** Blob key → ETag of every checkpointed blob. */
export async function checkpointedEtags(lake: Lake): Promise<Map<string, string>> {
  const done = new Map<string, string>();
  for await (const { entity } of lake.tables('checkpoints').list(CHECKPOINT_PARTITION)) {
    done.set(entity.rowKey, String(entity.etag));
  }
  return done;
}

/**
 * Bronze blobs a run has not yet registered: absent from the processed-blob registry (name +
 * ETag in the `checkpoints` table), or re-uploaded since (new ETag). Keyed by name and ETag, not
 * by a lastModified watermark, so uploads during a scan, equal timestamps and clock skew lose
 * nothing. Includes blobs the run will only register as ignored (unsupported formats).
 */
export async function unprocessedBlobs(lake: Lake): Promise<ObjectInfo[]> {
  const done = await checkpointedEtags(lake);
  const pending: ObjectInfo[] = [];
  for await (const blob of lake.objects('bronze').list('')) {
    if (done.get(blob.key) !== blob.etag) pending.push(blob);
  }
  return pending;
}
