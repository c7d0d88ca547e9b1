import { readFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { flushDeletes, parseErasureFile, requestErasure } from '../../src/erasure/index.js';
import { UserError } from '../../src/errors.js';
import { runPipeline } from '../../src/pipeline/run.js';
import type { FsLake } from '../../src/storage/index.js';
import { gaLine, tempLake } from '../helpers/lake.js';

let lake: FsLake;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ lake, cleanup } = await tempLake()));
afterEach(() => cleanup());

const NOW = new Date('2016-01-01T00:00:00Z'); // before the data: no window closes, nothing is released

describe('erasure request files', () => {
  it('reads arrays, objects, {user_ids} and NDJSON, and names the bad line', () => {
    expect(parseErasureFile('a.json', '["u1", {"user_id": "u2"}]')).toEqual(['u1', 'u2']);
    expect(parseErasureFile('b.json', '{"user_ids": ["u3"]}')).toEqual(['u3']);
    expect(parseErasureFile('c.json', '"u4"')).toEqual(['u4']);
    expect(parseErasureFile('d.ndjson', '"u5"\n\n{"user_id": "u6"}\n')).toEqual(['u5', 'u6']);
    expect(() => parseErasureFile('e.ndjson', '"u5"\n{"user_id": 7}\n')).toThrow(
      /e\.ndjson line 2: expected a user id string/,
    );
    expect(() => parseErasureFile('f.ndjson', '"u5"\nnope\n')).toThrow(UserError);
    expect(() => parseErasureFile('g.json', '{"user_ids": "u1"}')).toThrow(
      /g\.json: user_ids must be an array/,
    );
  });

  it('leaves an unreadable request file in place and reports it; deletes a processed one', async () => {
    await lake.objects('bronze').write('erasures/bad.json', '[1, 2]');
    await lake.objects('bronze').write('erasures/good.ndjson', '"u1"\n"u2"\n');
    const r = await flushDeletes(lake);
    expect(r.rejected_files).toEqual([
      { key: 'erasures/bad.json', reason: expect.stringMatching(/erasures\/bad\.json item 1/) as string },
    ]);
    expect(r.requests_from_files).toBe(2);
    expect(r.erasures_processed).toBe(2);
    expect(await lake.objects('bronze').head('erasures/good.ndjson')).toBeUndefined();
    expect(await lake.objects('bronze').head('erasures/bad.json')).toBeDefined();
  });
});

describe('flushDeletes on Bronze shapes', () => {
  it('rewrites a JSON-array blob and a gzip NDJSON blob without the user; the rewrites are not ingested again', async () => {
    const sample = await readFile('examples/seed-events/sample.json');
    const user = (JSON.parse(sample.toString()) as { fullVisitorId: string }[])[0]!.fullVisitorId;
    await lake.objects('bronze').write('events/sample.json', sample);
    const lines = [
      gaLine({ user, visit: '1470100000', date: '20160802' }),
      'not json but names "fullVisitorId": "' + user + '"',
      gaLine({ user: 'someone-else', visit: '1470100001', date: '20160802' }),
    ];
    await lake.objects('bronze').write('day.ndjson.gz', gzipSync(lines.join('\n') + '\n'));
    const config = await loadConfig();
    const first = await runPipeline({ lake, config, now: NOW });
    expect(first.report.totals).toMatchObject({ records_read: 8, silver: 7, rejected: 1 });

    await requestErasure(lake, user);
    await requestErasure(lake, user);
    const r = await flushDeletes(lake);
    expect(r).toMatchObject({
      erasures_processed: 1,
      bronze_blobs_rewritten: 2,
      bronze_records_removed: 3,
      silver_rows_removed: 2,
      quarantine_lines_removed: 1,
    });
    const json = JSON.parse(
      (await lake.objects('bronze').read('events/sample.json')).toString(),
    ) as unknown[];
    expect(json).toHaveLength(4);
    const day = gunzipSync(await lake.objects('bronze').read('day.ndjson.gz')).toString();
    expect(day).not.toContain(user);
    expect(day).toContain('someone-else');

    expect(await flushDeletes(lake)).toMatchObject({ erasures_processed: 0, bronze_records_removed: 0 });
    const again = await runPipeline({ lake, config, now: NOW });
    expect(again.report.totals.records_read).toBe(0);
    expect(again.report.erasures.erasures_processed).toBe(0);
  });
});

describe('flushDeletes and Bronze not yet processed', () => {
  it('removes the user from a blob that no run has processed yet', async () => {
    await lake
      .objects('bronze')
      .write(
        'new/day.ndjson',
        [gaLine({ user: 'gone', visit: '1470100000' }), gaLine({ user: 'stays', visit: '1470100001' })].join(
          '\n',
        ) + '\n',
      );
    await requestErasure(lake, 'gone');
    expect(await flushDeletes(lake)).toMatchObject({ erasures_processed: 1, bronze_records_removed: 1 });
    expect((await lake.objects('bronze').read('new/day.ndjson')).toString()).not.toContain('gone');
    const { report } = await runPipeline({ lake, config: await loadConfig(), now: NOW });
    expect(report.totals).toMatchObject({ records_read: 1, silver: 1, erased_dropped: 0 });
  });
});
