import { goldReleaseKeys } from '../../lake/index.js';
import type { PrivacyLedger } from '../../ledger/index.js';
import type { ObjectStore } from '../../storage/index.js';
import type { Release } from '../release.js';
import { GoldStore } from '../store.js';
import { renderReport, type BudgetRow, type ReportRelease } from './render-report.js';

/**
 * Regenerates `gold/report.html` from the releases given (the release records), their charts in
 * Gold, and the budget ledger (per month: the per-person total, then each metric's ε spent and
 * cap: public parameters). Returns how many releases the page shows.
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
  for (const { release, windowId } of records) {
    const links = goldReleaseKeys(release.analysis, windowId);
    const svg = await gold.readSvg(links);
    releases.push(svg === undefined ? { release, windowId, links } : { release, windowId, links, svg });
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
  await gold.writeReport(renderReport({ generatedAt: now.toISOString(), releases, budgets }));
  return releases.length;
}
