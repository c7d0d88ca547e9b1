import { holdsSessions } from '../bronze/formats.js';
import { DataPendingError } from '../errors.js';
import { unprocessedBlobs } from '../lake/index.js';
import type { Lake } from '../storage/index.js';

/** How long a client is told to wait when data is pending: about one scheduled scan and run. */
export const DATA_PENDING_RETRY_SECONDS = 300;

/**
 * Complete before released: a window may be released only when no Bronze blob that could hold rows
 * for it is unprocessed. Which dates an unprocessed blob holds is unknown until it is read, so any
 * unprocessed session blob holds every unreleased window back. (The run processes every blob it
 * lists before its Gold phase, so its releases are complete as of that listing; blobs arriving
 * later are late data, tallied by the run that reads them.)
 */
export async function assertBronzeComplete(lake: Lake, what: string): Promise<void> {
  const pending = (await unprocessedBlobs(lake)).filter((b) => holdsSessions(b.key));
  if (pending.length === 0) return;
  throw new DataPendingError(
    `${what} cannot be released yet: ${pending.length} Bronze blob(s) are not processed yet (e.g. bronze/${pending[0]!.key}) and may hold its data; run \`dp-pipeline run\` (or wait for the next scheduled run) and ask again`,
    DATA_PENDING_RETRY_SECONDS,
  );
}
