import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { ReleaseService } from '../../src/release/index.js';
import type { Lake } from '../../src/storage/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { syntheticYear } from '../helpers/release-year.js';
import { publishReleases, untouchableLedger } from '../helpers/year-lake.js';

async function keys(lake: Lake, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of lake.objects('gold').list(prefix)) out.push(o.key);
  return out.sort();
}

async function parquetRows(lake: Lake, key: string): Promise<Record<string, unknown>[]> {
  const buf = await lake.objects('gold').read(key);
  return parquetReadObjects({
    file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
  });
}

async function budgetEntities(lake: Lake): Promise<number> {
  const rows: unknown[] = [];
  for await (const row of lake.tables('budget').list()) rows.push(row);
  return rows.length;
}

describe.each(BACKENDS)('publishing the index with the report on $name', ({ fresh }) => {
  it('rebuilds the trends, tables and report from the records, charging nothing, and picks up new records', async () => {
    const { lake, cleanup } = await fresh();
    try {
      // The ledger throws if touched: publishing is post-processing of what was recorded.
      const records = syntheticYear({ months: 3 });
      await publishReleases(lake, records);
      expect(await budgetEntities(lake)).toBe(0);
      const analyses = [...new Set(records.map((r) => r.release.analysis))].sort();
      expect(await keys(lake, 'trends/')).toEqual(
        analyses.flatMap((a) => [`trends/${a}.png`, `trends/${a}.svg`]).sort(),
      );
      expect(await keys(lake, 'tables/')).toEqual(
        [
          ...analyses.flatMap((a) => [`tables/${a}.csv`, `tables/${a}.parquet`]),
          'tables/releases.parquet',
        ].sort(),
      );
      const before = await parquetRows(lake, 'tables/releases.parquet');
      const report = (await lake.objects('gold').read('report.html')).toString('utf8');
      expect(report.match(/<figure class="chart trend"/g)).toHaveLength(analyses.length);

      // A fourth month recorded later (by a run) is in the trends and tables of the next publish.
      const service = new ReleaseService({
        lake,
        ledger: untouchableLedger(lake, parseConfig(DEFAULT_CONFIG_INPUT)),
        charts: false,
      });
      const october = syntheticYear({ from: '2016-10', months: 2, seed: 'later' }).filter((r) =>
        r.release.window.start.startsWith('2016-11'),
      );
      for (const r of october) await service.records.create(r.release.analysis, r.windowId, r.release);
      expect(await service.publishIndex(new Date('2016-12-05T09:00:00Z'), { report: true })).toBe(
        records.length + october.length,
      );
      const after = await parquetRows(lake, 'tables/releases.parquet');
      const added = october.reduce(
        (n, r) => n + r.release.partitions.length * (r.release.outputs?.length ?? 1),
        0,
      );
      expect(after).toHaveLength(before.length + added);
      expect(after.filter((r) => r.release_id === 'sessions_per_continent/2016-11')).toHaveLength(6);
      const svg = (await lake.objects('gold').read('trends/sessions_per_continent.svg')).toString('utf8');
      expect(svg).toContain('4 windows, 2016-08-01 to 2016-11-30');
      expect(await budgetEntities(lake)).toBe(0);
    } finally {
      await cleanup();
    }
  });
});

describe('publishing the index without the report', () => {
  it('writes only index.json, as the DAU/MAU service does after each answer', async () => {
    const { lake, cleanup } = await BACKENDS[0]!.fresh();
    try {
      const service = new ReleaseService({
        lake,
        ledger: untouchableLedger(lake, parseConfig(DEFAULT_CONFIG_INPUT)),
        charts: false,
      });
      for (const r of syntheticYear({ months: 2 }))
        await service.records.create(r.release.analysis, r.windowId, r.release);
      await service.publishIndex(new Date('2016-10-05T09:00:00Z'));
      expect(await keys(lake, '')).toEqual(['index.json']);
    } finally {
      await cleanup();
    }
  });
});
