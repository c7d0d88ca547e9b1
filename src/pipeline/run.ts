import type { PipelineConfig } from '../config/index.js';
import { secureRandom, type RandomSource } from '../dp/index.js';
import { BudgetExhaustedError } from '../errors.js';
import { abfssUris } from '../analyses/index.js';
import type { BoundingEngineChoice } from '../engine/databricks.js';
import { crashPoint } from '../lake/crash-points.js';
import { acquireLakeLease, type LakeLease, type LakeLeaseOptions } from '../lake/lease.js';
import type { Logger } from '../log.js';
import type { Lake } from '../storage/index.js';
import { markProcessed, runReportKey } from '../lake/index.js';
import { openRunContext, timed, type RunContext } from './context.js';
import { releaseClosedWindows } from './gold-phase.js';
import { ingest, pendingBlobs } from './ingest.js';
import { recover } from './recovery.js';
import type { RunReport } from './report.js';
import { erasedLinks, flushDeletes, purgeBronzeBlob } from '../erasure/index.js';
import { loadKeyRing, type KeyRing } from '../silver/key-ring.js';
import type { BlobTally } from './report.js';

export interface RunOptions {
  readonly lake: Lake;
  readonly config: PipelineConfig;
  readonly log?: Logger;
  readonly progress?: (phase: string, done: number, total: number) => void;
  /**
   * Noise source. Production always uses the default, `secureRandom()`; tests may inject a
   * seeded source through this API (it cannot be chosen from config, flags or environment).
   */
  readonly rng?: RandomSource;
  readonly now?: Date;
  /** How long to wait (ms) when another writer holds the lake; default 0: `LeaseHeldError` at once. */
  readonly leaseWaitMs?: number;
  readonly onLeaseWait?: LakeLeaseOptions['onWait'];
  /** Where contributions are bounded (`boundingEngineFromEnv`); default the embedded engine. */
  readonly bounding?: BoundingEngineChoice;
}

export interface RunResult {
  readonly report: RunReport;
  readonly reportKey: string;
  /** Set when the Gold phase was refused for lack of budget (exit 3); Silver was still committed. */
  readonly budgetError?: BudgetExhaustedError;
}

/**
 * Refuses (`UserError`) a bounding engine that cannot read the lake: a warehouse reads Silver from
 * Azure Storage only. Checked before any work, so a misconfigured job changes nothing.
 */
export function checkBoundingLake(lake: Lake, bounding: BoundingEngineChoice): void {
  if (bounding.kind === 'databricks') abfssUris(lake.locate('silver'), []);
}

/**
 * The job: Bronze → Silver for new blobs, then Gold for every closed window not yet released.
 * Safe to re-run and to crash: Silver files only count once their run's report exists, and
 * blobs are checkpointed only after that. Holds the lake lease throughout (one writer at a time),
 * so the recovery of crashed runs at its start never meets a live one.
 */
export async function runPipeline(options: RunOptions): Promise<RunResult> {
  const bounding = options.bounding ?? { kind: 'duckdb' };
  checkBoundingLake(options.lake, bounding);
  const { ctx, close } = await openRunContext({ ...options, purpose: 'pipeline' });
  const { runId, engine, now } = ctx;
  const timings = ctx.timings;
  let lease: LakeLease | undefined;
  try {
    lease = await acquireLakeLease(
      options.lake,
      { command: 'run', runId },
      { waitMs: options.leaseWaitMs, log: ctx.log, onWait: options.onLeaseWait },
    );
    await timed(ctx, 'recover', () => recover(ctx));
    const ring = await loadKeyRing(options.lake);
    const erasures = await timed(ctx, 'erasures', () =>
      flushDeletes(options.lake, { engine, log: ctx.log, now, ring, lease }),
    );
    const { todo, ignored } = await timed(ctx, 'list', () => pendingBlobs(ctx));
    const ingested = await timed(ctx, 'bronze_to_silver', () => ingest(ctx, todo));
    // Late lines of erased users were dropped on arrival; their blobs lose them in Bronze too.
    ingested.blobs = await timed(ctx, 'erasures', () => purgeLateErased(ctx, ring, ingested.blobs));
    crashPoint('after-silver-upload');
    const sum = (f: (b: RunReport['blobs'][number]) => number): number =>
      ingested.blobs.reduce((acc, b) => acc + f(b), 0);
    const totals = {
      records_read: sum((b) => b.records),
      silver: sum((b) => b.silver),
      rejected: sum((b) => b.rejected),
      duplicates: sum((b) => b.duplicates),
      erased_dropped: sum((b) => b.erased),
    };
    const report: RunReport = {
      schema: 'dp-pipeline/run-report@1',
      run_id: runId,
      status: 'committed',
      started_at: now.toISOString(),
      finished_at: null,
      lake: options.lake.describe(),
      totals: {
        ...totals,
        balanced:
          totals.records_read === totals.silver + totals.rejected + totals.duplicates + totals.erased_dropped,
        late: 0,
      },
      erasures,
      rejected_by_reason: ingested.rejectedByReason,
      ignored_blobs: ignored.map((b) => ({
        key: b.key,
        etag: b.etag,
        reason: b.key.startsWith('erasures/')
          ? 'erasure request (handled by erasure processing)'
          : 'not a Bronze format (.ndjson, .jsonl, .json, optionally .gz)',
      })),
      blobs: ingested.blobs,
      silver_dates: ingested.silverDates,
      releases: [],
      epsilon_spent: 0,
      timings_ms: timings,
    };
    if (!report.totals.balanced)
      throw new Error(`internal: run ${runId} does not balance: ${JSON.stringify(totals)}`);
    const reportKey = runReportKey(runId);
    const writeReport = (): Promise<unknown> =>
      options.lake
        .objects('private')
        .write(reportKey, JSON.stringify(report, null, 2) + '\n', { contentType: 'application/json' });
    await lease.assertHeld();
    await writeReport(); // commit point for this run's Silver and quarantine files
    crashPoint('after-report');
    await timed(ctx, 'checkpoints', async () => {
      await markProcessed(ctx.lake, ingested.blobs, 'processed', ctx);
      await markProcessed(ctx.lake, ignored, 'ignored', ctx);
    });
    crashPoint('after-checkpoints');

    let budgetError: BudgetExhaustedError | undefined;
    await lease.assertHeld();
    try {
      const gold = await timed(ctx, 'silver_to_gold', () =>
        releaseClosedWindows(ctx, options.rng ?? secureRandom(), bounding),
      );
      report.releases = gold.releases;
      report.epsilon_spent = gold.epsilonSpent;
      report.totals.late = Object.entries(ingested.silverByMonth)
        .filter(([month]) => gold.previouslyReleasedMonths.has(month))
        .reduce((acc, [, n]) => acc + n, 0);
      report.status = 'completed';
    } catch (err) {
      if (!(err instanceof BudgetExhaustedError)) throw err;
      budgetError = err;
      report.status = 'budget_exhausted';
    }
    report.finished_at = new Date().toISOString();
    await writeReport();
    ctx.log.info(
      { run: runId, totals: report.totals, releases: report.releases.length, timings },
      'run finished',
    );
    return budgetError ? { report, reportKey, budgetError } : { report, reportKey };
  } finally {
    await lease?.release();
    await close();
  }
}

/**
 * Rewrites the blobs that held lines of erased users (already dropped from Silver) without
 * those lines; the tally then carries the rewritten blob's ETag, so it is checkpointed as
 * processed and not ingested again. A blob emptied entirely is deleted.
 */
async function purgeLateErased(ctx: RunContext, ring: KeyRing, blobs: BlobTally[]): Promise<BlobTally[]> {
  if (!blobs.some((b) => b.erased > 0)) return blobs;
  const links = await erasedLinks(ctx.lake);
  const out: BlobTally[] = [];
  for (const b of blobs) {
    if (b.erased === 0) {
      out.push(b);
      continue;
    }
    const r = await purgeBronzeBlob(ctx.lake, ctx.engine, b.key, ring, links);
    out.push(r.info ? { ...b, etag: r.info.etag } : b);
  }
  return out;
}
