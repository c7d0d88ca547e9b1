import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, sqlList, sqlString } from '../engine/duckdb.js';
import { UserError } from '../errors.js';
import { withLakeLease, type LakeLeaseOptions } from '../lake/lease.js';
import { loadKeyRing } from '../silver/key-ring.js';
import type { Lake } from '../storage/index.js';
import {
  ACTIVITY_PREFIX,
  CommittedView,
  describeFile,
  forgetFile,
  listManifest,
  localCopies,
  recordFile,
  runIdOfPartFile,
  newRunId,
  openScratch,
  SESSIONS_PREFIX,
  type RunId,
} from '../lake/index.js';

/**
 * Rebuilds the activity ledger from Silver: one ledger file per committed Silver file, same
 * name, holding its distinct (day, user) pairs, then removes every other ledger file. Exact
 * because the ledger's link pseudonym is the first key version's, which is what Silver rows
 * under that version carry. Rows under a later version hold no link (it needs the raw id): then
 * nothing is changed and a `UserError` says to reprocess Bronze instead. Holds the lake lease.
 */
export async function rebuildActivity(
  lake: Lake,
  options: { engine?: Engine; leaseWaitMs?: number; onLeaseWait?: LakeLeaseOptions['onWait'] } = {},
): Promise<{ silverFiles: number; ledgerFiles: number; removed: number }> {
  const runId = newRunId();
  return withLakeLease(
    lake,
    { command: 'rebuild-activity', runId },
    () => rebuildUnderLease(lake, runId, options.engine),
    { waitMs: options.leaseWaitMs, onWait: options.onLeaseWait },
  );
}

async function rebuildUnderLease(
  lake: Lake,
  runId: RunId,
  lentEngine: Engine | undefined,
): Promise<{ silverFiles: number; ledgerFiles: number; removed: number }> {
  const options = { engine: lentEngine };
  const ring = await loadKeyRing(lake);
  const v1 = ring.versions[0]!.key.version;
  const silver = lake.objects('silver');
  const keys = await (await CommittedView.open(lake)).files('silver');
  const scratch = await openScratch('activity-rebuild', runId, { engine: options.engine });
  const { engine, dir: tmp } = scratch;
  try {
    const paths = await localCopies(silver, keys, join(tmp, 'silver'));
    if (paths.length > 0) {
      const later = await engine.all<{ key_version: string }>(
        `SELECT DISTINCT key_version FROM read_parquet(${sqlList(paths)}, hive_partitioning = false)
         WHERE key_version <> ${sqlString(v1)} ORDER BY 1`,
      );
      if (later.length > 0) {
        throw new UserError(
          `Silver holds rows under key version(s) ${later.map((r) => r.key_version).join(', ')}: the ledger cannot be rebuilt from Silver for them; reprocess Bronze into a fresh lake instead`,
        );
      }
    }
    const priv = lake.objects('private');
    const written = new Set<string>();
    for (const [i, path] of paths.entries()) {
      const key = ACTIVITY_PREFIX + keys[i]!.slice(SESSIONS_PREFIX.length);
      const out = join(tmp, `ledger-${i}.parquet`);
      await engine.run(`COPY (SELECT DISTINCT date AS day, user_pseudonym AS "user"
          FROM read_parquet(${sqlString(path)}, hive_partitioning = false))
        TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
      const facts = await describeFile(engine, out);
      await priv.uploadFile(out, key, { contentType: 'application/vnd.apache.parquet' });
      // Named after its Silver file, so it commits with that file's (committed) run.
      await recordFile(lake, 'private', key, runIdOfPartFile(key)!, facts);
      await rm(out, { force: true });
      written.add(key);
    }
    let removed = 0;
    const stale: string[] = [];
    for await (const obj of priv.list(ACTIVITY_PREFIX)) if (!written.has(obj.key)) stale.push(obj.key);
    for (const key of stale) if (await priv.delete(key)) removed++;
    // Rows of ledger files not written now: the stale ones just deleted, and any already gone.
    const rows: string[] = [];
    for await (const row of listManifest(lake)) {
      const key = row.rowKey.slice('private/'.length);
      if (row.rowKey.startsWith(`private/${ACTIVITY_PREFIX}`) && !written.has(key)) rows.push(key);
    }
    for (const key of rows) await forgetFile(lake, 'private', key);
    return { silverFiles: keys.length, ledgerFiles: written.size, removed };
  } finally {
    await scratch.close();
  }
}
