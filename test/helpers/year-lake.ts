import { renderReleaseChart } from '../../src/gold/plot/index.js';
import { GoldStore } from '../../src/gold/store.js';
import { ReleaseService, type ReleaseServiceDeps } from '../../src/release/index.js';
import { DEFAULT_CONFIG_INPUT, parseConfig, type PipelineConfig } from '../../src/config/index.js';
import { PrivacyLedger } from '../../src/ledger/index.js';
import type { Lake } from '../../src/storage/index.js';
import type { WindowedRelease } from './release-year.js';

/**
 * A ledger for paths that must spend nothing (publishing the index, trends, tables, report): it
 * reads the budget (the report shows it), and any check, charge or reset throws, failing the test.
 */
export function untouchableLedger(lake: Lake, config: PipelineConfig): ReleaseServiceDeps['ledger'] {
  const ledger = new PrivacyLedger(lake.tables('budget'), config);
  const spending = new Set<PropertyKey>(['check', 'charge', 'reset']);
  return new Proxy(ledger, {
    get: (target, property, receiver) => {
      if (spending.has(property)) {
        throw new Error(`the ledger was used (${String(property)}) by a path that must spend nothing`);
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Records `releases` as the release path would (a record and its `releases` row each, Gold's copy
 * of the JSON), draws the charts the report inlines (each analysis's latest window; `charts:
 * 'all'` draws every one), then publishes the index, trends, tables and report with
 * `ReleaseService.publishIndex`, without running the pipeline. Returns the service.
 */
export async function publishReleases(
  lake: Lake,
  releases: readonly WindowedRelease[],
  options: { readonly now?: Date; readonly charts?: 'latest' | 'all' } = {},
): Promise<ReleaseService> {
  const service = new ReleaseService({
    lake,
    ledger: untouchableLedger(lake, parseConfig(DEFAULT_CONFIG_INPUT)),
    charts: false,
  });
  const gold = new GoldStore(lake.objects('gold'));
  const latest = new Map<string, WindowedRelease>();
  for (const r of releases) {
    const { record } = await service.records.create(r.release.analysis, r.windowId, r.release);
    await gold.publishText(record.analysis, record.windowId, record.text);
    const prev = latest.get(r.release.analysis);
    if (!prev || r.release.window.start > prev.release.window.start) latest.set(r.release.analysis, r);
  }
  const drawn = options.charts === 'all' ? releases : [...latest.values()];
  for (const r of drawn) {
    await gold.writeChart(r.release.analysis, r.windowId, await renderReleaseChart(r.release));
  }
  await service.publishIndex(options.now ?? new Date('2017-08-05T09:00:00Z'), { report: true });
  return service;
}
