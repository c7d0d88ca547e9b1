import type { ObjectInfo } from '../storage/index.js';
import type { RunContext } from './context.js';

/** Partition of the `checkpoints` table holding the processed-blob registry (row key = blob key). */
export const CHECKPOINT_PARTITION = 'bronze';

/** Marks blobs processed at the ETag that was read; a re-upload (new ETag) is processed again. */
export async function markProcessed(
  ctx: RunContext,
  blobs: readonly Pick<ObjectInfo, 'key' | 'etag'>[],
  status: string,
): Promise<void> {
  const table = ctx.lake.tables('checkpoints');
  for (const blob of blobs) {
    await table.upsert({
      partitionKey: CHECKPOINT_PARTITION,
      rowKey: blob.key,
      etag: blob.etag,
      run_id: ctx.runId,
      status,
      processed_at: ctx.now.toISOString(),
    });
  }
}
