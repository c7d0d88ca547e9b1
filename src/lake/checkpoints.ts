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
import type { RunId } from './run-id.js';

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
    } satisfies CheckpointEntity),
  );
}

/** Forgets a blob's checkpoint (after a rewrite by erasure, or when the blob is gone). */
export async function forgetCheckpoint(lake: Lake, key: string): Promise<boolean> {
  return lake.tables('checkpoints').delete(CHECKPOINT_PARTITION, key);
}

/** Whether the blob `key` has a checkpoint (at any ETag). */
export async function hasCheckpoint(lake: Lake, key: string): Promise<boolean> {
  return (await readCheckpoint(lake, key)) !== undefined;
}

/** Blob key → ETag of every checkpointed blob. */
export async function checkpointedEtags(lake: Lake): Promise<Map<string, string>> {
  const done = new Map<string, string>();
  for await (const { entity } of listCheckpoints(lake)) done.set(entity.rowKey, entity.etag);
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
