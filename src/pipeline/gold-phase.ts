import { join } from 'node:path';
import {
  boundedAggregatesOfAll,
  isClosed,
  monthWindow,
  monthsOf,
  planAll,
  releasesOf,
  type AnalysisPlan,
  type Window,
} from '../analyses/index.js';
import type { RandomSource } from '../dp/index.js';
import { crashPoint } from '../lake/crash-points.js';
import { PngRasterizer, renderReleaseChart, renderReleaseSvg } from '../gold/plot/index.js';
import type { Release } from '../gold/release.js';
import { writeGoldReport } from '../gold/report/index.js';
import { GoldStore, releaseKeys } from '../gold/store.js';
import { BudgetLedger, type PrivacyCost } from '../ledger/index.js';
import { dateOfSilverKey } from '../silver/paths.js';
import { timed, type RunContext } from './context.js';
import { localCopies } from './local-files.js';
import { committedSilverFiles } from './recovery.js';
import type { ReleaseSummary } from './report.js';

/** Budget ledger metric for Gold analyses (DAU/MAU get their own). */
export const ANALYSES_METRIC = 'analyses';

export interface GoldPhaseResult {
  readonly releases: ReleaseSummary[];
  readonly epsilonSpent: number;
  /** Months that already had a release before this run. */
  readonly previouslyReleasedMonths: Set<string>;
}

interface Pending {
  readonly plan: AnalysisPlan;
  readonly window: Window;
}

/**
 * Releases every (analysis, closed month) not yet in Gold. The whole batch is checked against
 * the monthly budget first: if any month would go over its cap, nothing is released or spent.
 */
export async function releaseClosedWindows(ctx: RunContext, rng: RandomSource): Promise<GoldPhaseResult> {
  const gold = new GoldStore(ctx.lake.objects('gold'));
  const ledger = new BudgetLedger(ctx.lake.tables('budget'), ANALYSES_METRIC, {
    epsilonCap: ctx.config.budget.monthly_epsilon_cap,
    deltaCap: ctx.config.budget.monthly_delta_cap,
    accounting: ctx.config.budget.accounting,
  });
  const silverKeys = await committedSilverFiles(ctx);
  const months = monthsOf(silverKeys.flatMap((k) => dateOfSilverKey(k) ?? []));
  const plans = planAll(ctx.config);
  const releases: ReleaseSummary[] = [];
  const previouslyReleasedMonths = new Set<string>();
  const pending: Pending[] = [];

  for (const month of months) {
    const window = monthWindow(month);
    if (!isClosed(window, ctx.now, ctx.config.lateness_days)) continue;
    for (const plan of plans) {
      if (await gold.exists(plan.name, month)) {
        previouslyReleasedMonths.add(month);
        // A run that crashed right after publishing left no row or no chart: add what is missing.
        const missingRow = !(await ctx.lake.tables('releases').get(plan.name, month));
        const missingChart = !(await gold.hasCharts(plan.name, month));
        if (missingRow || missingChart) {
          const stored = await gold.read(plan.name, month);
          if (missingRow) await recordRelease(ctx, plan, month, stored);
          if (missingChart) await gold.writeChart(plan.name, month, await renderReleaseChart(stored));
        }
        releases.push(summary(plan, month, 'already_released', ctx));
      } else {
        pending.push({ plan, window });
      }
    }
  }

  const needed = new Map<string, PrivacyCost[]>();
  const newlyCharged = new Set<string>();
  for (const p of pending) {
    if (await ledger.isCharged(p.window.id, releaseId(p))) continue; // charged by a run that crashed before publishing
    newlyCharged.add(releaseId(p));
    needed.set(p.window.id, [...(needed.get(p.window.id) ?? []), p.plan.cost]);
  }
  // Refused (BudgetExhaustedError): nothing at all is written to Gold, not even the index or report.
  for (const [month, costs] of needed) await ledger.check(month, costs);

  let epsilonSpent = 0;
  let done = 0;
  const work = plans
    .map((plan) => ({ plan, mine: pending.filter((p) => p.plan === plan) }))
    .filter((w) => w.mine.length > 0);
  for (const { plan, mine } of work) {
    for (const p of mine) {
      await ledger.charge(p.window.id, releaseId(p), plan.cost);
    }
  }
  if (work.length > 0) crashPoint('after-charge');
  // Every analysis's bounded aggregates at once: they share one read of the months' Silver rows.
  const pendingMonths = new Set(pending.map((p) => p.window.id));
  const keys = silverKeys.filter((k) => pendingMonths.has((dateOfSilverKey(k) ?? '').slice(0, 7)));
  const computed =
    work.length === 0
      ? []
      : await timed(ctx, 'gold_compute', async () => {
          const files = await localCopies(ctx.lake.objects('silver'), keys, join(ctx.tmpDir, 'silver-gold'));
          return boundedAggregatesOfAll(
            ctx.engine,
            work.map(({ plan, mine }) => ({ plan, windows: mine.map((p) => p.window) })),
            files,
            rng,
          );
        });
  const meta = { runId: ctx.runId, createdAt: ctx.now.toISOString() };
  // A worker draws each chart's PNG while this thread adds the next releases' noise and draws
  // their SVGs: on two cores the two overlap.
  const rasterizer = new PngRasterizer();
  let drawing: Promise<void> = Promise.resolve();
  try {
    for (const [i, { plan, mine }] of work.entries()) {
      const released = releasesOf(
        plan,
        mine.map((p) => p.window),
        computed[i]!,
        rng,
        meta,
      );
      for (const p of mine) {
        ctx.progress('releasing', done++, pending.length);
        const month = p.window.id;
        const release = released.get(month)!;
        if (await gold.publish(release, month)) {
          crashPoint('after-publish');
          // Its row before its chart: a chart that fails to render is redrawn by the next run.
          await recordRelease(ctx, plan, month, release);
          if (newlyCharged.has(releaseId(p))) epsilonSpent += plan.epsilon;
          releases.push(summary(plan, month, 'released', ctx));
          const svg = await timed(ctx, 'gold_charts', () => renderReleaseSvg(release));
          // One PNG in flight at most (the worker draws one at a time); a failed one stops the run here.
          await timed(ctx, 'gold_charts', () => drawing);
          drawing = rasterizer.rasterize(svg).then((png) => gold.writeChart(plan.name, month, { svg, png }));
          drawing.catch(() => {}); // awaited on the next release or after the loop
        } else {
          releases.push(summary(plan, month, 'already_released', ctx));
        }
      }
    }
    await timed(ctx, 'gold_charts', () => drawing);
  } finally {
    await rasterizer.close();
  }
  if (pending.length > 0) ctx.progress('releasing', pending.length, pending.length);
  await publishIndexAndReport(ctx, gold);
  return { releases, epsilonSpent, previouslyReleasedMonths };
}

/** `gold/index.json`, then `gold/report.html` from it: rewritten after every Gold phase. */
async function publishIndexAndReport(ctx: RunContext, gold: GoldStore): Promise<void> {
  await gold.writeIndex(ctx.now);
  await timed(ctx, 'gold_report', () =>
    writeGoldReport(ctx.lake.objects('gold'), ctx.lake.tables('budget'), ctx.now),
  );
}

/** The `releases` table row of a published release: what was released, when, by which run, where. */
async function recordRelease(
  ctx: RunContext,
  plan: AnalysisPlan,
  month: string,
  release: Release,
): Promise<void> {
  await ctx.lake.tables('releases').upsert({
    partitionKey: plan.name,
    rowKey: month,
    run_id: release.run_id,
    epsilon: plan.epsilon,
    created_at: release.created_at,
    path: releaseKeys(plan.name, month).json,
  });
}

function releaseId(p: Pending): string {
  return `${p.plan.name}/${p.window.id}`;
}

function summary(
  plan: AnalysisPlan,
  month: string,
  status: ReleaseSummary['status'],
  ctx: RunContext,
): ReleaseSummary {
  return {
    analysis: plan.name,
    window: month,
    status,
    epsilon: plan.epsilon,
    path: `${ctx.lake.locate('gold')}/${releaseKeys(plan.name, month).json}`,
  };
}
