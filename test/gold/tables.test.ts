import { csvParseRows } from 'd3-dsv';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { DamagedStateError } from '../../src/errors.js';
import type { Release } from '../../src/gold/release.js';
import {
  TABLE_COLUMNS,
  TABLE_SCHEMA,
  tableRowSchema,
  writeGoldTables,
  type WindowedRelease,
} from '../../src/gold/tables/index.js';
import { releaseText } from '../../src/release/index.js';
import type { ObjectStore } from '../../src/storage/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { sampleRelease } from '../helpers/release.js';
import { syntheticYear } from '../helpers/release-year.js';

/** What the tables must hold, read straight from each release's JSON text (not from the writer's code). */
interface Expected {
  release_id: string;
  analysis: string;
  window_start: string;
  window_end: string;
  partition_key: string;
  statistic: string;
  value: number;
  ci95_lower: number;
  ci95_upper: number;
  epsilon: number;
  delta: number;
  mechanism: string;
}

function expectedRows(records: readonly WindowedRelease[]): Expected[] {
  const rows: Expected[] = [];
  for (const { release, windowId } of records) {
    const json = JSON.parse(releaseText(release)) as {
      analysis: string;
      statistic: string;
      outputs?: string[];
      window: { start: string; end: string };
      privacy: {
        epsilon: number;
        delta: number;
        mechanism: string;
        statistics?: Record<string, { mechanism: string }>;
      };
      partitions: {
        key: string;
        value: number;
        ci95: [number, number];
        statistics?: Record<string, { value: number; ci95: [number, number] }>;
      }[];
    };
    for (const p of json.partitions) {
      for (const name of json.outputs ?? [json.statistic]) {
        const v = p.statistics?.[name] ?? { value: p.value, ci95: p.ci95 };
        rows.push({
          release_id: `${json.analysis}/${windowId}`,
          analysis: json.analysis,
          window_start: json.window.start,
          window_end: json.window.end,
          partition_key: p.key,
          statistic: name,
          value: v.value,
          ci95_lower: v.ci95[0],
          ci95_upper: v.ci95[1],
          epsilon: json.privacy.epsilon,
          delta: json.privacy.delta,
          mechanism: json.privacy.statistics?.[name]?.mechanism ?? json.privacy.mechanism,
        });
      }
    }
  }
  return rows;
}

const identity = (r: Pick<Expected, 'release_id' | 'partition_key' | 'statistic'>): string =>
  `${r.release_id}|${r.partition_key}|${r.statistic}`;

/** The CSV read back with d3-dsv (an RFC 4180 parser), numbers typed, as table rows. */
async function readCsv(
  gold: ObjectStore,
  key: string,
): Promise<{ text: string; rows: Record<string, unknown>[] }> {
  const text = (await gold.read(key)).toString('utf8');
  const [header, ...records] = csvParseRows(text);
  expect(header).toEqual([...TABLE_COLUMNS]);
  const numeric = new Set(['value', 'ci95_lower', 'ci95_upper', 'epsilon', 'delta']);
  const rows = records.map((fields) =>
    Object.fromEntries(
      header!.map((c, i) => {
        const f = fields[i]!;
        return [c, numeric.has(c) ? Number(f) : c === 'unit' && f === '' ? null : f];
      }),
    ),
  );
  return { text, rows };
}

/** The Parquet file read back with hyparquet (an independent reader), dates as YYYY-MM-DD. */
async function readParquet(
  gold: ObjectStore,
  key: string,
): Promise<{ rows: Record<string, unknown>[]; columns: string[]; kv: Record<string, string | undefined> }> {
  const buf = await gold.read(key);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const rows = (await parquetReadObjects({ file })).map((r) => ({
    ...r,
    window_start: (r.window_start as Date).toISOString().slice(0, 10),
    window_end: (r.window_end as Date).toISOString().slice(0, 10),
  }));
  return {
    rows,
    columns: metadata.schema.slice(1).map((s) => s.name),
    kv: Object.fromEntries((metadata.key_value_metadata ?? []).map((e) => [e.key, e.value])),
  };
}

function expectSameValues(actual: readonly Record<string, unknown>[], expected: readonly Expected[]): void {
  expect(actual).toHaveLength(expected.length);
  const byId = new Map(actual.map((r) => [identity(r as unknown as Expected), r]));
  expect(byId.size).toBe(actual.length);
  for (const e of expected) {
    const row = byId.get(identity(e));
    expect(row, identity(e)).toBeDefined();
    // toBe: every number and string exactly as in the release JSON.
    for (const [k, v] of Object.entries(e)) expect(row![k], `${identity(e)} ${k}`).toBe(v);
    tableRowSchema.parse(row);
  }
}

const hostile = sampleRelease({
  analysis: 'odd_keys',
  partition_by: 'country',
  partitions: [
    { key: 'Korea, Republic of', value: 0.1 + 0.2, ci95: [-1e-7, 1e21] },
    { key: 'say "hi"', value: -3, ci95: [-5.5, -0.5] },
    { key: 'two\r\nlines', value: 12, ci95: [9, 15] },
    { key: ' padded ', value: 5e-324, ci95: [0, 1] },
    { key: '=1+1', value: 123456789.12345679, ci95: [123456788, 123456790] },
    { key: 'Côte d’Ivoire', value: 7, ci95: [4, 10] },
    { key: '', value: 1, ci95: [0, 2] },
  ],
});

describe.each(BACKENDS)('Gold tables on $name', ({ fresh }) => {
  it('hold exactly the values, intervals and parameters of every release JSON, as RFC 4180 CSV and Parquet', async () => {
    const { lake, cleanup } = await fresh();
    try {
      const gold = lake.objects('gold');
      const records = [
        ...syntheticYear({ months: 3, dailyDau: true, skip: { sessions_per_country: ['2016-09'] } }),
        { release: hostile, windowId: '2016-08' },
      ];
      const written = await writeGoldTables(gold, records);
      const expected = expectedRows(records);
      expect(written.rows).toBe(expected.length);

      const analyses = [...new Set(records.map((r) => r.release.analysis))].sort();
      expect(analyses).toEqual([
        'avg_session_duration_per_device',
        'dau',
        'dau_series',
        'mau',
        'mau_series',
        'odd_keys',
        'pageviews_per_device',
        'sessions_per_continent',
        'sessions_per_country',
      ]);
      for (const analysis of analyses) {
        const mine = expected.filter((e) => e.analysis === analysis);
        const csv = await readCsv(gold, `tables/${analysis}.csv`);
        expect(csv.text.split('\r\n').length, 'CRLF after every record').toBeGreaterThanOrEqual(
          mine.length + 2,
        );
        expect(csv.text.endsWith('\r\n')).toBe(true);
        expectSameValues(csv.rows, mine);
        const parquet = await readParquet(gold, `tables/${analysis}.parquet`);
        expect(parquet.columns).toEqual([...TABLE_COLUMNS]);
        expectSameValues(parquet.rows, mine);
      }
      const all = await readParquet(gold, 'tables/releases.parquet');
      expect(all.kv.schema).toBe(TABLE_SCHEMA);
      expectSameValues(all.rows, expected);
      // Ordered by analysis, then window: what a reader scanning the file expects.
      const order = all.rows.map((r) => `${String(r.analysis)} ${String(r.window_start)}`);
      expect(order).toEqual([...order].sort());
      // The unit travels with the values; counts have none.
      const duration = all.rows.find((r) => r.analysis === 'avg_session_duration_per_device');
      expect(duration).toMatchObject({ unit: 'ms', statistic: 'mean' });
      expect(all.rows.find((r) => r.analysis === 'dau')).toMatchObject({
        unit: null,
        mechanism: 'discrete_laplace',
      });
      expect(all.rows.find((r) => r.analysis === 'mau')).toMatchObject({
        delta: 1e-6,
        mechanism: 'discrete_gaussian',
      });
      // A country not selected in a window has no row there (not a zero row), and the skipped window none.
      expect(all.rows.some((r) => r.release_id === 'sessions_per_country/2016-09')).toBe(false);
    } finally {
      await cleanup();
    }
  });
});

describe('Gold tables', () => {
  it('write an empty releases.parquet with every column before anything is released', async () => {
    const { lake, cleanup } = await BACKENDS[0]!.fresh();
    try {
      const written = await writeGoldTables(lake.objects('gold'), []);
      expect(written).toEqual({ keys: ['tables/releases.parquet'], rows: 0 });
      const all = await readParquet(lake.objects('gold'), 'tables/releases.parquet');
      expect(all.rows).toEqual([]);
      expect(all.columns).toEqual([...TABLE_COLUMNS]);
    } finally {
      await cleanup();
    }
  });

  it('refuse a release whose per-output statistics do not decode, naming it', async () => {
    const { lake, cleanup } = await BACKENDS[0]!.fresh();
    try {
      const broken = {
        ...sampleRelease(),
        outputs: ['count'],
        partitions: [{ key: 'Americas', value: 1, ci95: [0, 2], statistics: { count: { value: 'many' } } }],
      } as unknown as Release;
      const write = writeGoldTables(lake.objects('gold'), [{ release: broken, windowId: '2016-08' }]);
      await expect(write).rejects.toThrow(DamagedStateError);
      await expect(write).rejects.toThrow(
        /sessions_per_continent\/2016-08\.json .*partitions\.0\.statistics\.count/,
      );
    } finally {
      await cleanup();
    }
  });
});
