import { goldReleaseKeys, goldTrendKeys } from '../../lake/index.js';
import type { PrivacyLedger } from '../../ledger/index.js';
import type { ObjectStore } from '../../storage/index.js';
import type { Release } from '../release.js';
import { GoldStore } from '../store.js';
import { byAnalysis } from './analyses.js';
import { renderReport, type BudgetRow, type ReportRelease } from './render-report.js';

/**
 * Regenerates `gold/report.html` from the releases given (the release records), the charts in
 * Gold it inlines (each analysis's trend, `gold/trends/<analysis>.svg`, and its latest window's
 * chart), and the budget ledger (per month: the per-person total, then each metric's ε spent and cap:
 * public parameters). Returns how many
 * releases the page shows.
 *
 * @example
 * ```ts
 * await writeGoldReport(lake.objects('gold'), new PrivacyLedger(lake.tables('budget'), config), now, records);
 * ```
 */
export async function writeGoldReport(
  goldObjects: ObjectStore,
  ledger: PrivacyLedger,
  now: Date,
  records: readonly { readonly release: Release; readonly windowId: string }[],
): Promise<number> {
  const gold = new GoldStore(goldObjects);
  const releases: ReportRelease[] = [];
  const trendCharts = new Map<string, string>();
  // Only each analysis's latest chart is inlined (older windows link theirs): read just those.
  for (const group of byAnalysis(records)) {
    for (const [i, { release, windowId }] of group.releases.entries()) {
      const links = goldReleaseKeys(release.analysis, windowId);
      const svg = i === 0 ? await gold.readSvg(links) : undefined;
      releases.push(svg === undefined ? { release, windowId, links } : { release, windowId, links, svg });
    }
    if (group.releases.length > 1) {
      const svg = await gold.readSvg(goldTrendKeys(group.analysis));
      if (svg !== undefined) trendCharts.set(group.analysis, svg);
    }
  }
  const budgets: BudgetRow[] = [];
  for (const period of await ledger.months()) {
    const month = await ledger.state(period);
    if (month.total.releaseCount === 0) continue;
    for (const s of [month.total, ...Object.values(month.metrics).filter((m) => m.releaseCount > 0)]) {
      budgets.push({
        metric: s.metric,
        period,
        epsilonSpent: s.epsilonSpent,
        epsilonCap: s.epsilonCap,
        delta: s.deltaSpent,
        releaseCount: s.releaseCount,
      });
    }
  }
  await gold.writeReport(renderReport({ generatedAt: now.toISOString(), releases, budgets, trendCharts }));
  return releases.length;
}
