import { ConflictError } from '../errors.js';
import type { ObjectStore } from '../storage/index.js';
import { RELEASE_SCHEMA, type Release } from './release.js';
import type { GoldIndex, IndexEntry } from './schema.js';

export const RELEASES_PREFIX = 'releases/';
export const INDEX_KEY = 'index.json';
export const INDEX_SCHEMA = 'dp-pipeline/index@1';
export const REPORT_KEY = 'report.html';

export interface ReleaseKeys {
  readonly json: string;
  readonly svg: string;
  readonly png: string;
}

export function releaseKeys(analysis: string, windowId: string): ReleaseKeys {
  const base = `${RELEASES_PREFIX}${analysis}/${windowId}`;
  return { json: `${base}.json`, svg: `${base}.svg`, png: `${base}.png` };
}

/**
 * Gold: releases are written once (create-only), never replaced. Accepts only `Release`, a type
 * that has no place for raw aggregates or ids.
 */
export class GoldStore {
  constructor(private readonly store: ObjectStore) {}

  async exists(analysis: string, windowId: string): Promise<boolean> {
    return (await this.store.head(releaseKeys(analysis, windowId).json)) !== undefined;
  }

  async read(analysis: string, windowId: string): Promise<Release> {
    const text = (await this.store.read(releaseKeys(analysis, windowId).json)).toString('utf8');
    return JSON.parse(text) as Release;
  }

  /** Publishes a release; false when one already exists for that (analysis, window). */
  async publish(release: Release, windowId: string): Promise<boolean> {
    const keys = releaseKeys(release.analysis, windowId);
    try {
      await this.store.write(keys.json, JSON.stringify(release, null, 2) + '\n', {
        ifNoneMatch: '*',
        contentType: 'application/json',
      });
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  /** Charts are derived from the published JSON, so (re)writing them is always safe. */
  async writeChart(analysis: string, windowId: string, chart: { svg: string; png: Buffer }): Promise<void> {
    const keys = releaseKeys(analysis, windowId);
    await this.store.write(keys.svg, chart.svg, { contentType: 'image/svg+xml' });
    await this.store.write(keys.png, chart.png, { contentType: 'image/png' });
  }

  async hasCharts(analysis: string, windowId: string): Promise<boolean> {
    const keys = releaseKeys(analysis, windowId);
    return (await this.store.head(keys.svg)) !== undefined && (await this.store.head(keys.png)) !== undefined;
  }

  /** Every published release of the current schema, in key order (analysis, then window). */
  async *releases(): AsyncIterable<{ release: Release; keys: ReleaseKeys }> {
    for await (const obj of this.store.list(RELEASES_PREFIX)) {
      if (!obj.key.endsWith('.json')) continue;
      const release = JSON.parse((await this.store.read(obj.key)).toString('utf8')) as Release;
      if (release.schema !== RELEASE_SCHEMA) continue;
      const base = obj.key.slice(0, -'.json'.length);
      yield { release, keys: { json: `${base}.json`, svg: `${base}.svg`, png: `${base}.png` } };
    }
  }

  /** A chart's SVG text, if it was written. */
  async readSvg(keys: ReleaseKeys): Promise<string | undefined> {
    if ((await this.store.head(keys.svg)) === undefined) return undefined;
    return (await this.store.read(keys.svg)).toString('utf8');
  }

  /** Writes `gold/report.html` (derived from the releases, so rewriting it is always safe). */
  async writeReport(html: string): Promise<void> {
    await this.store.write(REPORT_KEY, html, { contentType: 'text/html; charset=utf-8' });
  }

  /**
   * Rewrites `gold/index.json` (`dp-pipeline/index@1`, see `schemas/index.schema.json`) from the
   * releases present: one entry per release with links, relative to `gold/`, to its JSON, SVG and
   * PNG, and a link to the report.
   */
  async writeIndex(now: Date): Promise<number> {
    const entries: IndexEntry[] = [];
    for await (const { release, keys } of this.releases()) {
      entries.push({
        analysis: release.analysis,
        statistic: release.statistic,
        description: release.description,
        window: release.window,
        epsilon: release.privacy.epsilon,
        delta: release.privacy.delta,
        partitions: release.partitions.length,
        created_at: release.created_at,
        ...keys,
      });
    }
    const index: GoldIndex = {
      schema: INDEX_SCHEMA,
      generated_at: now.toISOString(),
      report: REPORT_KEY,
      releases: entries,
    };
    await this.store.write(INDEX_KEY, JSON.stringify(index, null, 2) + '\n', {
      contentType: 'application/json',
    });
    return entries.length;
  }
}
