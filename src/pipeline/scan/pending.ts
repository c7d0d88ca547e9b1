import type { Lake, ObjectInfo } from '../../storage/index.js';
import { listCheckpoints } from '../checkpoints.js';

/**
 * Bronze blobs a run has not yet registered: absent from the processed-blob registry (name +
 * ETag in the `checkpoints` table), or re-uploaded since (new ETag). Keyed by name and ETag, not
 * by a lastModified watermark, so uploads during a scan, equal timestamps and clock skew lose
 * nothing. Includes blobs the run will only register as ignored (unsupported formats).
 */
export async function unprocessedBlobs(lake: Lake): Promise<ObjectInfo[]> {
  const done = new Map<string, string>();
  for await (const { entity } of listCheckpoints(lake)) done.set(entity.rowKey, entity.etag);
  const pending: ObjectInfo[] = [];
  for await (const blob of lake.objects('bronze').list('')) {
    if (done.get(blob.key) !== blob.etag) pending.push(blob);
  }
  return pending;
}
