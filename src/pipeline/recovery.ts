import { CommittedView, hasCheckpoint, markProcessed, runReportKey } from '../lake/index.js';
import type { RunContext } from './context.js';
import type { RunReport } from './report.js';

/**
 * Makes a crashed run as if it never happened, or finishes one that committed: deletes Silver,
 * ledger and quarantine files of runs without a report (they never committed, and their blobs are
 * still pending), and re-adds checkpoints of the latest committed run in case the crash came
 * between its report and its checkpoints. Only under the lake lease: then no other writer is
 * alive, and every uncommitted run is a dead one.
 */
export async function recover(
  ctx: RunContext,
): Promise<{ removedFiles: number; repairedCheckpoints: number }> {
  const view = await CommittedView.open(ctx.lake);
  let removedFiles = 0;
  const dead: { container: 'silver' | 'private' | 'quarantine'; key: string }[] = [];
  for await (const file of view.uncommitted(ctx.runId)) dead.push(file);
  for (const { container, key } of dead) {
    if (await ctx.lake.objects(container).delete(key)) removedFiles++;
  }
  let repairedCheckpoints = 0;
  const latest = view.latest();
  if (latest !== undefined) {
    const report = JSON.parse(
      (await ctx.lake.objects('private').read(runReportKey(latest))).toString('utf8'),
    ) as RunReport;
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
  if (removedFiles > 0 || repairedCheckpoints > 0) {
    ctx.log.warn({ run: ctx.runId, removedFiles, repairedCheckpoints }, 'recovered from an interrupted run');
  }
  return { removedFiles, repairedCheckpoints };
}
