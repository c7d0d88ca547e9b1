import { z } from 'zod';
import { mapConcurrently } from '../concurrency.js';
import {
  decodeStored,
  entitySchema,
  storedEntity,
  type Lake,
  type ObjectInfo,
  type StoredEntity,
} from '../storage/index.js';
import type { RunContext } from './context.js';

/** Partition of the `checkpoints` table holding the processed-blob registry (row key = blob key). */
export const CHECKPOINT_PARTITION = 'bronze';

/**
 * One row of the processed-blob registry: the blob (row key) was registered at ETag `etag` by run
 * `run_id`. `rewritten_for_erasure` marks a blob the erasure flush rewrote (the ETag followed it).
 */
const checkpointSchema = entitySchema({
  partitionKey: z.literal(CHECKPOINT_PARTITION),
  etag: z.string().min(1),
  run_id: z.string().min(1),
  status: z.enum(['processed', 'ignored']),
  processed_at: z.iso.datetime(),
  rewritten_for_erasure: z.boolean().optional(),
});

export type CheckpointEntity = z.output<typeof checkpointSchema>;

/** The checkpoint of Bronze blob `key`, if a run registered it. Raises `DamagedStateError`. */
export async function readCheckpoint(
  lake: Lake,
  key: string,
): Promise<StoredEntity<CheckpointEntity> | undefined> {
  const table = lake.tables('checkpoints');
  const stored = await table.get(CHECKPOINT_PARTITION, key);
  if (!stored) return undefined;
  const where = storedEntity(table, CHECKPOINT_PARTITION, key);
  return { entity: decodeStored(checkpointSchema, stored.entity, where), etag: stored.etag };
}

/** Every checkpoint of the processed-blob registry, in blob key order. Raises `DamagedStateError`. */
export async function* listCheckpoints(lake: Lake): AsyncIterable<StoredEntity<CheckpointEntity>> {
  const table = lake.tables('checkpoints');
  for await (const { entity, etag } of table.list(CHECKPOINT_PARTITION)) {
    const where = storedEntity(table, CHECKPOINT_PARTITION, entity.rowKey);
    yield { entity: decodeStored(checkpointSchema, entity, where), etag };
  }
}

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
    } satisfies CheckpointEntity),
  );
}
