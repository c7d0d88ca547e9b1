import { z } from 'zod';
import { decodeStored, entitySchema, storedEntity, type Lake } from '../storage/index.js';

/**
 * A row of the `releases` table, keyed by analysis (partition) and window (row): which run
 * published the release, when, at what ε, and where its Gold JSON is. Written after the release
 * is published; read back through this schema (a row that does not decode is damaged).
 */
const releaseRowSchema = entitySchema({
  run_id: z.string().min(1),
  epsilon: z.number().positive(),
  created_at: z.iso.datetime(),
  /** The release JSON, relative to `gold/` (or where the caller published it). */
  path: z.string().min(1),
});

export type ReleaseRow = z.output<typeof releaseRowSchema>;

/** The `releases` row of (`analysis`, `windowId`), if any. Raises `DamagedStateError`. */
export async function readReleaseRow(
  lake: Lake,
  analysis: string,
  windowId: string,
): Promise<ReleaseRow | undefined> {
  const table = lake.tables('releases');
  const stored = await table.get(analysis, windowId);
  return stored && decodeStored(releaseRowSchema, stored.entity, storedEntity(table, analysis, windowId));
}
