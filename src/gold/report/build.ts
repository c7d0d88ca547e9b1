import type { ObjectStore, TableStore } from '../../storage/index.js';
import type { Release } from '../release.js';
import { indexSchema } from '../schema.js';
import { GoldStore, INDEX_KEY } from '../store.js';
import { renderReport, type BudgetRow, type ReportRelease } from './render-report.js';

/**
 * Regenerates `gold/report.html` from `gold/index.json`, the release JSONs and charts it links,
 * and the budget ledger (ε spent and cap per month: public parameters). Returns how many
 * releases the page shows.
 *
 * @example
 * ```ts
 * await gold.writeIndex(now);
 * await writeGoldReport(lake.objects('gold'), lake.tables('budget'), now);
 * ```
 */
export async function writeGoldReport(
  goldObjects: ObjectStore,
  budget: TableStore,
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
  for await (const { entity } of budget.list()) {
    budgets.push({
      metric: entity.partitionKey,
      period: entity.rowKey,
      epsilonSpent: Number(entity.epsilon_spent ?? 0),
      epsilonCap: Number(entity.epsilon_cap ?? 0),
      releaseCount: Number(entity.release_count ?? 0),
    });
  }
  await gold.writeReport(renderReport({ generatedAt: now.toISOString(), releases, budgets }));
  return releases.length;
}
