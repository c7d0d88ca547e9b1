import { isRunId, runIdOfSilverFile } from './run-id.js';
import type { RunContext } from './context.js';
import { runReportSchema, type RunReport } from './report.js';
import { markProcessed, readCheckpoint } from './checkpoints.js';
import { decodeStoredJson, storedFile, type ObjectStore } from '../storage/index.js';
import { SESSIONS_PREFIX } from '../silver/paths.js';
import { ACTIVITY_PREFIX, BLOB_INDEX_PREFIX } from '../activity/paths.js';

/** Run ids whose report exists: their Silver and quarantine files are committed. */
export async function committedRuns(ctx: RunContext): Promise<Set<string>> {
  const runs = new Set<string>();
  for await (const obj of ctx.lake.objects('private').list('runs/')) {
    const id = obj.key.slice('runs/'.length).replace(/\.json$/, '');
    if (isRunId(id)) runs.add(id);
  }
  return runs;
}

/** Silver session files of committed runs, sorted by key. */
export async function committedSilverFiles(ctx: RunContext): Promise<string[]> {
  const committed = await committedRuns(ctx);
  const keys: string[] = [];
  for await (const obj of ctx.lake.objects('silver').list(SESSIONS_PREFIX)) {
    const run = runIdOfSilverFile(obj.key);
    if (run !== undefined && committed.has(run)) keys.push(obj.key);
  }
  return keys;
}

/**
 * Makes a crashed run as if it never happened, or finishes one that committed: deletes Silver
 * and quarantine files of runs without a report (they never committed, and their blobs are
 * still pending), and re-adds checkpoints of the latest committed run in case the crash came
 * between its report and its checkpoints.
 */
export async function recover(
  ctx: RunContext,
): Promise<{ removedFiles: number; repairedCheckpoints: number }> {
  const committed = await committedRuns(ctx);
  let removedFiles = 0;
  const silver = ctx.lake.objects('silver');
  for await (const obj of silver.list(SESSIONS_PREFIX)) {
    const run = runIdOfSilverFile(obj.key);
    if (run !== undefined && !committed.has(run) && run !== ctx.runId) {
      await silver.delete(obj.key);
      removedFiles++;
    }
  }
  const priv = ctx.lake.objects('private');
  for (const prefix of [ACTIVITY_PREFIX, BLOB_INDEX_PREFIX]) {
    for await (const obj of priv.list(prefix)) {
      const run = runIdOfSilverFile(obj.key);
      if (run !== undefined && !committed.has(run) && run !== ctx.runId) {
        await priv.delete(obj.key);
        removedFiles++;
      }
    }
  }
  const quarantine = ctx.lake.objects('quarantine');
  for await (const obj of quarantine.list('')) {
    const run = obj.key.split('/')[0] ?? '';
    if (isRunId(run) && !committed.has(run) && run !== ctx.runId) {
      await quarantine.delete(obj.key);
      removedFiles++;
    }
  }
  let repairedCheckpoints = 0;
  const latest = [...committed].sort().at(-1);
  if (latest !== undefined) {
    const report = await readRunReport(ctx.lake.objects('private'), latest);
    const missing = async <T extends { key: string }>(blobs: readonly T[]): Promise<T[]> => {
      const out: T[] = [];
      for (const blob of blobs) if (!(await readCheckpoint(ctx.lake, blob.key))) out.push(blob);
      return out;
    };
    const processed = await missing(report.blobs);
    const ignored = await missing(report.ignored_blobs);
    await markProcessed(ctx, processed, 'processed', latest);
    await markProcessed(ctx, ignored, 'ignored', latest);
    repairedCheckpoints = processed.length + ignored.length;
  }
  if (removedFiles > 0 || repairedCheckpoints > 0) {
    ctx.log.warn({ run: ctx.runId, removedFiles, repairedCheckpoints }, 'recovered from an interrupted run');
  }
  return { removedFiles, repairedCheckpoints };
}

/** The report of committed run `runId`. Raises `DamagedStateError` when it does not decode. */
export async function readRunReport(priv: ObjectStore, runId: string): Promise<RunReport> {
  const key = `runs/${runId}.json`;
  const where = storedFile(
    priv,
    key,
    'run report',
    `restore it from a backup, or delete it together with the checkpoints rows whose run_id is ${runId}: the next run then drops that run's Silver files and reads its Bronze blobs again (deleting the report alone loses them)`,
  );
  return decodeStoredJson(runReportSchema, (await priv.read(key)).toString('utf8'), where);
}
