import { join } from 'node:path';
import {
  abfssUris,
  boundWithSelection,
  isClosed,
  monthWindow,
  monthsOf,
  planAll,
  releasesOf,
  sparkBoundedAggregatesOfAll,
  type AnalysisPlan,
  type BoundingJob,
  type SparkSilverSource,
  type Window,
  type WindowAggregates,
} from '../analyses/index.js';
import type { RandomSource } from '../dp/index.js';
import {
  DatabricksEngine,
  type BoundingEngineChoice,
  type DatabricksSettings,
} from '../engine/databricks.js';
import { PngRasterizer, renderReleaseSvg } from '../gold/plot/index.js';
import type { Release } from '../gold/release.js';
import { GoldStore } from '../gold/store.js';
import { UserError } from '../errors.js';
import { CommittedView, dateOfSilverKey, verifyFiles } from '../lake/index.js';
import { PrivacyLedger } from '../ledger/index.js';
import { ReleaseService, requestKey, type ChartSink, type ReleaseRequest } from '../release/index.js';
import { readSilver, type SilverSource } from '../silver/silver-source.js';
import { timed, type RunContext } from './context.js';
import type { ReleaseSummary } from './report.js';

/** Budget ledger metric for Gold analyses (DAU/MAU get their own). */
export const ANALYSES_METRIC = 'analyses';

export interface GoldPhaseResult {
  readonly releases: ReleaseSummary[];
  readonly epsilonSpent: number;
  /** Months that already had a release before this run. */
  readonly previouslyReleasedMonths: Set<string>;
  /** Gold objects restored from their release records (lost, altered, or without row or chart). */
  readonly restored: number;
}

/**
 * Releases every (analysis, closed month) through the one release path (`ReleaseService`): Gold is
 * first restored from the release records, then every window without a record is checked against
 * the budget as one batch (refused → nothing is charged or published), charged, computed from one
 * shared bounding pass over the months' Silver rows, recorded and published. The index and the
 * report are rebuilt from the records.
 */
export async function releaseClosedWindows(
  ctx: RunContext,
  rng: RandomSource,
  bounding: BoundingEngineChoice = { kind: 'duckdb' },
): Promise<GoldPhaseResult> {
  const ledger = new PrivacyLedger(ctx.lake.tables('budget'), ctx.config);
  const rasterizer = new PngRasterizer();
  const charts = new OverlappedCharts(ctx, new GoldStore(ctx.lake.objects('gold')), rasterizer);
  const service = new ReleaseService({ lake: ctx.lake, ledger, charts, log: ctx.log });
  const plans = planAll(ctx.config);
  const byName = new Map(plans.map((p) => [p.name, p]));
  if (bounding.kind === 'databricks') refuseAutoBounds(plans);
  let result: GoldPhaseResult;
  try {
    const restored = await timed(ctx, 'gold_restore', () => service.restoreAll());
    const view = await CommittedView.open(ctx.lake);
    const silverKeys = await view.files('silver');
    const requests: ReleaseRequest[] = [];
    for (const month of monthsOf(silverKeys.flatMap((k) => dateOfSilverKey(k) ?? []))) {
      if (!isClosed(monthWindow(month), ctx.now, ctx.config.lateness_days)) continue;
      for (const plan of plans) {
        requests.push({
          analysis: plan.name,
          windowId: month,
          charge: {
            metric: ANALYSES_METRIC,
            releaseId: `${plan.name}/${month}`,
            periods: [month],
            cost: plan.cost,
          },
        });
      }
    }
    // Silver is read, verified against the manifest (a deleted, truncated or altered file is
    // refused) and checked per person before anything is charged: such a lake spends nothing.
    // On a warehouse the committed files are named by URI instead, and it reads them itself.
    let input: BoundingInput | undefined;
    const outcomes = await service.release(
      requests,
      (pending) => computeReleases(ctx, rng, input!, pending, byName),
      {
        beforeCompute: async (pending) => {
          input = await timed(ctx, 'gold_read', async () =>
            bounding.kind === 'duckdb'
              ? { kind: 'duckdb', silver: await pendingSilver(ctx, view, silverKeys, pending) }
              : {
                  kind: 'databricks',
                  settings: bounding.settings,
                  source: {
                    uris: abfssUris(ctx.lake.locate('silver'), pendingKeys(silverKeys, pending)),
                    // Every file ingest writes has user_link; a file from before it did is
                    // refused by the warehouse (unknown column), not read as other persons.
                    unit: 'coalesce(user_link, user_pseudonym)',
                  },
                },
          );
        },
      },
    );
    const releases: ReleaseSummary[] = outcomes.map((o) => ({
      analysis: o.request.analysis,
      window: o.request.windowId,
      status: o.status,
      epsilon: byName.get(o.request.analysis)!.epsilon,
      path: `${ctx.lake.locate('gold')}/${o.path}`,
    }));
    result = {
      releases,
      epsilonSpent: outcomes.reduce((acc, o) => acc + (o.status === 'released' ? o.epsilonCharged : 0), 0),
      previouslyReleasedMonths: new Set(
        outcomes.filter((o) => o.status === 'already_released').map((o) => o.request.windowId),
      ),
      restored,
    };
    // Every chart is in Gold before the report is rebuilt: the report inlines each release's SVG
    // (written with its PNG), so a chart still in flight would show as missing.
    await timed(ctx, 'gold_charts', () => charts.flush());
    await timed(ctx, 'gold_report', () => service.publishIndex(ctx.now, { report: true }));
  } finally {
    await rasterizer.close();
  }
  return result;
}

/**
 * Automatic bounds are chosen from a DP profile of the month's Silver that only the embedded engine
 * computes today: on a warehouse such an analysis is refused before anything is read or charged.
 */
function refuseAutoBounds(plans: readonly AnalysisPlan[]): void {
  const auto = plans.filter((p) => p.selection !== undefined).map((p) => p.name);
  if (auto.length > 0) {
    throw new UserError(
      `DP_ENGINE=databricks bounds with fixed bounds only, but ${auto.join(', ')} ${auto.length > 1 ? 'use' : 'uses'} "auto" bounds (chosen from a profile the embedded engine computes): set max_partitions_contributed, max_contributions_per_partition and bounds to numbers for ${auto.length > 1 ? 'them' : 'it'} (dp-pipeline explain --utility suggests values), or run with the embedded engine`,
    );
  }
}

/** The Silver the bounding reads: local copies for the embedded engine, or URIs for a warehouse. */
type BoundingInput =
  | { readonly kind: 'duckdb'; readonly silver: SilverSource }
  | {
      readonly kind: 'databricks';
      readonly settings: DatabricksSettings;
      readonly source: SparkSilverSource;
    };

/** Whether a Silver key holds rows of the pending windows' months. */
function pendingMonths(pending: readonly ReleaseRequest[]): (key: string) => boolean {
  const months = new Set(pending.map((p) => p.windowId));
  return (k) => months.has((dateOfSilverKey(k) ?? '').slice(0, 7));
}

function pendingKeys(silverKeys: readonly string[], pending: readonly ReleaseRequest[]): string[] {
  return silverKeys.filter(pendingMonths(pending));
}

/** The committed Silver files of the pending windows' months. */
async function pendingSilver(
  ctx: RunContext,
  view: CommittedView,
  silverKeys: readonly string[],
  pending: readonly ReleaseRequest[],
): Promise<SilverSource> {
  const keep = pendingMonths(pending);
  const keys = silverKeys.filter(keep);
  return readSilver(ctx.lake, ctx.engine, keys, join(ctx.tmpDir, 'silver-gold'), {
    check: (paths) =>
      timed(ctx, 'gold_verify', () => verifyFiles(ctx.lake, view, { dataset: 'silver', keep, keys, paths })),
  });
}

/** Every pending analysis's releases at once: they share one read of the months' Silver rows. */
async function computeReleases(
  ctx: RunContext,
  rng: RandomSource,
  input: BoundingInput,
  pending: readonly ReleaseRequest[],
  plans: ReadonlyMap<string, AnalysisPlan>,
): Promise<Map<string, Release>> {
  const byPlan = new Map<AnalysisPlan, Window[]>();
  for (const p of pending) {
    const plan = plans.get(p.analysis)!;
    byPlan.set(plan, [...(byPlan.get(plan) ?? []), monthWindow(p.windowId)]);
  }
  const work = [...byPlan.entries()].map(([plan, windows]) => ({ plan, windows }));
  // Automatic bounds are chosen per (analysis, window) from the selection's share of the ε already
  // charged, over the same staged rows the bounding then reads; on a warehouse, bounds are fixed.
  const { jobs: entries, aggregates: computed } = await timed(ctx, 'gold_compute', async () => {
    if (input.kind !== 'duckdb') {
      return { jobs: work, aggregates: await boundOnDatabricks(input.settings, work, input.source, rng) };
    }
    const bounded = await boundWithSelection(ctx.engine, work, input.silver, rng, { scratchDir: ctx.tmpDir });
    // The engine's work is done: its cached memory goes back before the charts' workers start.
    await ctx.engine.releaseMemory();
    return bounded;
  });
  const meta = { runId: ctx.runId, createdAt: ctx.now.toISOString() };
  const out = new Map<string, Release>();
  await timed(ctx, 'gold_noise', async () => {
    for (const [i, job] of entries.entries()) {
      for (const [windowId, release] of releasesOf(job, computed[i]!, rng, meta)) {
        out.set(requestKey({ analysis: job.plan.name, windowId }), release);
      }
    }
  });
  return out;
}

/** The bounded aggregates from a Databricks SQL warehouse: only aggregates come back to the job. */
async function boundOnDatabricks(
  settings: DatabricksSettings,
  jobs: readonly BoundingJob[],
  source: SparkSilverSource,
  rng: RandomSource,
): Promise<WindowAggregates[]> {
  const engine = await DatabricksEngine.open(settings);
  try {
    return await sparkBoundedAggregatesOfAll(engine, jobs, source, rng);
  } finally {
    await engine.close();
  }
}

/**
 * Draws each chart's SVG here and its PNG on the rasterizer's worker pool: on two cores the
 * workers rasterize while this thread records and publishes the next releases. At most two PNGs
 * per worker are queued (bounded memory). A failed PNG stops the run when it is awaited (a later draw or `flush()`); the next run redraws missing charts.
 */
class OverlappedCharts implements ChartSink {
  readonly #inFlight: Promise<void>[] = [];
  #done = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly gold: GoldStore,
    private readonly rasterizer: PngRasterizer,
  ) {}

  async draw(release: Release, windowId: string): Promise<void> {
    this.ctx.progress('drawing charts', this.#done++, this.#done);
    const svg = await timed(this.ctx, 'gold_charts', () => renderReleaseSvg(release));
    while (this.#inFlight.length >= 2 * this.rasterizer.size) {
      await timed(this.ctx, 'gold_charts', () => this.#inFlight.shift()!);
    }
    const drawing = this.rasterizer
      .rasterize(svg)
      .then((png) => this.gold.writeChart(release.analysis, windowId, { svg, png }));
    drawing.catch(() => {}); // awaited on a later draw or by flush()
    this.#inFlight.push(drawing);
  }

  async flush(): Promise<void> {
    while (this.#inFlight.length > 0) await this.#inFlight.shift()!;
  }
}
