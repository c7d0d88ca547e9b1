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
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < blobs.length) {
      const blob = blobs[next++]!;
      await table.upsert({
        partitionKey: CHECKPOINT_PARTITION,
        rowKey: blob.key,
        etag: blob.etag,
        run_id: ctx.runId,
        status,
        processed_at: ctx.now.toISOString(),
      });
    }
  };
  // Independent entities: a few writes in flight at once (each is atomic on its own).
  await Promise.all(Array.from({ length: Math.min(16, blobs.length) }, worker));
}
