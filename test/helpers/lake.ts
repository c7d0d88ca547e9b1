import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Engine } from '../../src/engine/duckdb.js';
import { FsLake } from '../../src/storage/index.js';

/** A fresh local lake in a temp directory; `cleanup` removes it. */
export async function tempLake(): Promise<{ lake: FsLake; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dp-test-lake-'));
  return { lake: new FsLake(dir), dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function gaLine(over: {
  user?: string;
  visit?: string;
  date?: string;
  hits?: string;
  device?: string;
  continent?: string;
  timeOnSite?: string;
}): string {
  const visit = over.visit ?? '1470046245';
  const totals: Record<string, string> = { hits: over.hits ?? '3', pageviews: '2' };
  if (over.timeOnSite !== undefined) totals.timeOnSite = over.timeOnSite;
  return JSON.stringify({
    visitNumber: '1',
    visitId: visit,
    visitStartTime: visit,
    date: over.date ?? '20160801',
    totals,
    trafficSource: { campaign: '(not set)', source: 'google' },
    device: { browser: 'Firefox', deviceCategory: over.device ?? 'desktop' },
    geoNetwork: { continent: over.continent ?? 'Europe', country: 'Germany' },
    fullVisitorId: over.user ?? '895954260133011192',
    channelGrouping: 'Organic Search',
  });
}

/**
 * A temp directory with a DuckDB engine in it, shared by the tests of one file: opened in
 * `beforeAll`, closed and removed in `afterAll`. Read `dir`/`engine` inside tests, not at import.
 */
export function useTempEngine(): { readonly dir: string; readonly engine: Engine } {
  let state: { dir: string; engine: Engine; cleanup: () => Promise<void> } | undefined;
  beforeAll(async () => {
    const { dir, cleanup } = await tempLake();
    state = { dir, cleanup, engine: await Engine.open({ tempDirectory: join(dir, 'duck') }) };
  });
  afterAll(async () => {
    state?.engine.close();
    await state?.cleanup();
  });
  const get = () => {
    if (!state) throw new Error('useTempEngine: read dir/engine inside a test, after beforeAll');
    return state;
  };
  return {
    get dir() {
      return get().dir;
    },
    get engine() {
      return get().engine;
    },
  };
}
