import { GOLD_INDEX_KEY, GOLD_REPORT_KEY, goldReleaseKeys, type GoldReleaseKeys } from '../lake/index.js';
import type { ObjectStore } from '../storage/index.js';
import type { Release } from './release.js';
import type { GoldIndex, IndexEntry } from './schema.js';

export const INDEX_SCHEMA = 'dp-pipeline/index@1';

/**
 * Gold, the analysts' copy: a publication of the release records (see `src/release/`), never the
 * authority. Release JSONs are written byte for byte from their record; charts, `index.json` and
 * `report.html` are derived from the records, so rewriting any of them is always safe.
 */
export class GoldStore {
  constructor(private readonly store: ObjectStore) {}

  /** The published JSON text of a release, if present. */
  async readText(analysis: string, windowId: string): Promise<string | undefined> {
    const key = goldReleaseKeys(analysis, windowId).json;
    if ((await this.store.head(key)) === undefined) return undefined;
    return (await this.store.read(key)).toString('utf8');
  }

  /** Publishes (or restores) a release's JSON: exactly the recorded text. */
  async publishText(analysis: string, windowId: string, text: string): Promise<void> {
    await this.store.write(goldReleaseKeys(analysis, windowId).json, text, {
      contentType: 'application/json',
    });
  }

  async writeChart(analysis: string, windowId: string, chart: { svg: string; png: Buffer }): Promise<void> {
    const keys = goldReleaseKeys(analysis, windowId);
    await this.store.write(keys.svg, chart.svg, { contentType: 'image/svg+xml' });
    await this.store.write(keys.png, chart.png, { contentType: 'image/png' });
  }

  async hasCharts(analysis: string, windowId: string): Promise<boolean> {
    const keys = goldReleaseKeys(analysis, windowId);
    return (await this.store.head(keys.svg)) !== undefined && (await this.store.head(keys.png)) !== undefined;
  }

  /** A chart's SVG text (a release's or a trend's), if it was written. */
  async readSvg(keys: Pick<GoldReleaseKeys, 'svg'>): Promise<string | undefined> {
    if ((await this.store.head(keys.svg)) === undefined) return undefined;
    return (await this.store.read(keys.svg)).toString('utf8');
  }

  /** Writes `gold/report.html`. */
  async writeReport(html: string): Promise<void> {
    await this.store.write(GOLD_REPORT_KEY, html, { contentType: 'text/html; charset=utf-8' });
  }

  /**
   * Rewrites `gold/index.json` (`dp-pipeline/index@1`, see `schemas/index.schema.json`): one entry
   * per release given (the records), with links relative to `gold/` to its JSON, SVG and PNG, and a
   * link to the report.
   */
  async writeIndex(
    releases: readonly { readonly release: Release; readonly windowId: string }[],
    now: Date,
  ): Promise<GoldIndex> {
    const entries: IndexEntry[] = releases.map(({ release, windowId }) => ({
      analysis: release.analysis,
      statistic: release.statistic,
      description: release.description,
      window: release.window,
      epsilon: release.privacy.epsilon,
      delta: release.privacy.delta,
      partitions: release.partitions.length,
      created_at: release.created_at,
      ...goldReleaseKeys(release.analysis, windowId),
    }));
    const index: GoldIndex = {
      schema: INDEX_SCHEMA,
      generated_at: now.toISOString(),
      report: GOLD_REPORT_KEY,
      releases: entries,
    };
    await this.store.write(GOLD_INDEX_KEY, JSON.stringify(index, null, 2) + '\n', {
      contentType: 'application/json',
    });
    return index;
  }
}
