import {
  adoptUnlistedFiles,
  CommittedView,
  dropUncommittedRows,
  hasCheckpoint,
  markProcessed,
  runReportKey,
  type RunId,
} from '../lake/index.js';
import type { RunContext } from './context.js';
import { decodeStoredJson, storedFile, type ObjectStore } from '../storage/index.js';
import { runReportSchema, type RunReport } from './report.js';

/**
 * Makes a crashed run as if it never happened, or finishes one that committed: deletes Silver,
 * ledger and quarantine files of runs without a report (they never committed, and their blobs are
 * still pending) together with their manifest rows, and re-adds checkpoints of the latest
 * committed run in case the crash came between its report and its checkpoints. A lake from
 * before manifests has its committed files adopted into the manifest once. Only under the lake
 * lease: then no other writer is alive, and every uncommitted run is a dead one.
 */
export async function recover(
  ctx: RunContext,
): Promise<{ removedFiles: number; repairedCheckpoints: number; droppedManifestRows: number }> {
  const view = await CommittedView.open(ctx.lake);
  let removedFiles = 0;
  const dead: { container: 'silver' | 'private' | 'quarantine'; key: string }[] = [];
  for await (const file of view.uncommitted(ctx.runId)) dead.push(file);
  for (const { container, key } of dead) {
    if (await ctx.lake.objects(container).delete(key)) removedFiles++;
  }
  const droppedManifestRows = await dropUncommittedRows(ctx.lake, view, ctx.runId);
  const adopted = await adoptUnlistedFiles(ctx.lake, view, ctx.engine, ctx.tmpDir, ctx.now);
  if (adopted !== undefined && adopted > 0) {
    ctx.log.warn(
      { run: ctx.runId, files: adopted },
      'adopted the committed files of a lake from before manifests: the manifest lists them as they are now',
    );
  }
  let repairedCheckpoints = 0;
  const latest = view.latest();
  if (latest !== undefined) {
    const report = await readRunReport(ctx.lake.objects('private'), latest);
    const missing = async <T extends { key: string }>(blobs: readonly T[]): Promise<T[]> => {
      const out: T[] = [];
      for (const blob of blobs) if (!(await hasCheckpoint(ctx.lake, blob.key))) out.push(blob);
      return out;
    };
    const processed = await missing(report.blobs);
    const ignored = await missing(report.ignored_blobs);
    const by = { runId: latest, now: ctx.now };
    await markProcessed(ctx.lake, processed, 'processed', by);
    await markProcessed(ctx.lake, ignored, 'ignored', by);
    repairedCheckpoints = processed.length + ignored.length;
  }
  if (removedFiles > 0 || repairedCheckpoints > 0 || droppedManifestRows > 0) {
    ctx.log.warn(
      { run: ctx.runId, removedFiles, repairedCheckpoints, droppedManifestRows },
      'recovered from an interrupted run',
    );
  }
  return { removedFiles, repairedCheckpoints, droppedManifestRows };
}

/** The report of committed run `runId`. Raises `DamagedStateError` when it does not decode. */
export async function readRunReport(priv: ObjectStore, runId: RunId): Promise<RunReport> {
  const key = runReportKey(runId);
  const where = storedFile(
    priv,
    key,
    'run report',
    `restore it from a backup, or delete it together with the checkpoints rows whose run_id is ${runId}: the next run then drops that run's Silver files and reads its Bronze blobs again (deleting the report alone loses them)`,
  );
  return decodeStoredJson(runReportSchema, (await priv.read(key)).toString('utf8'), where);
}
