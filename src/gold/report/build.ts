import type { PrivacyLedger } from '../../ledger/index.js';
import type { ObjectStore } from '../../storage/index.js';
import type { Release } from '../release.js';
import { indexSchema } from '../schema.js';
import { GoldStore, INDEX_KEY } from '../store.js';
import { renderReport, type BudgetRow, type ReportRelease } from './render-report.js';

/**
 * Regenerates `gold/report.html` from `gold/index.json`, the release JSONs and charts it links,
 * and the budget ledger (per month: the per-person total, then each metric's ε spent and cap:
 * public parameters). Returns how many releases the page shows.
 *
 * @example
 * ```ts
 * await gold.writeIndex(now);
 * await writeGoldReport(lake.objects('gold'), new PrivacyLedger(lake.tables('budget'), config), now);
 * ```
 */
export async function writeGoldReport(
  goldObjects: ObjectStore,
  ledger: PrivacyLedger,
  now: Date,
): Promise<number> {
  const gold = new GoldStore(goldObjects);
  const index = indexSchema.parse(JSON.parse((await goldObjects.read(INDEX_KEY)).toString('utf8')));
  const releases: ReportRelease[] = [];
  for (const entry of index.releases) {
    const release = JSON.parse((await goldObjects.read(entry.json)).toString('utf8')) as Release;
    const links = { json: entry.json, svg: entry.svg, png: entry.png };
    const svg = await gold.readSvg(links);
    const windowId = entry.json.slice(entry.json.lastIndexOf('/') + 1).replace(/\.json$/, '');
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
