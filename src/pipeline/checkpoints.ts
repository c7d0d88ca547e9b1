import { mapConcurrently } from '../concurrency.js';
import type { ObjectInfo } from '../storage/index.js';
import type { RunContext } from './context.js';

/** Partition of the `checkpoints` table holding the processed-blob registry (row key = blob key). */
export const CHECKPOINT_PARTITION = 'bronze';

/**
 * Marks blobs processed at the ETag that was read, by run `runId` (default: this run); a
 * re-upload (new ETag) is processed again.
 */
export async function markProcessed(
  ctx: RunContext,
  blobs: readonly Pick<ObjectInfo, 'key' | 'etag'>[],
  status: 'processed' | 'ignored',
  runId = ctx.runId,
): Promise<void> {
  const table = ctx.lake.tables('checkpoints');
  // Independent entities: a few writes in flight at once (each is atomic on its own).
  await mapConcurrently(blobs, 16, (blob) =>
    table.upsert({
      partitionKey: CHECKPOINT_PARTITION,
      rowKey: blob.key,
      etag: blob.etag,
      run_id: runId,
      status,
      processed_at: ctx.now.toISOString(),
    }),
  );
}
