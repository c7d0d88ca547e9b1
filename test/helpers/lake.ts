import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
