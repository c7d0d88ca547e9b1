import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyRing } from '../../src/silver/key-ring.js';
import type { RawUserId } from '../../src/silver/pseudonym.js';
import { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { lakeTexts } from '../helpers/grep-lake.js';
import { gaLine, tempLake } from '../helpers/lake.js';
import { silverRows } from '../helpers/silver.js';

// A user whose id arrives as a JSON number above 2^53, and a neighbour whose id is the same
// double: a parse through a JS number confuses the two (both read as 4812734609815271000).
const USER = '4812734609815270931';
const NEIGHBOUR = '4812734609815270932';
const env = { DP_PSEUDONYM_KEY: '' };

/** A GA360 line whose id field holds `id` as a JSON number (not a string). */
const numericLine = (id: string, over: Parameters<typeof gaLine>[0], field = 'fullVisitorId'): string =>
  gaLine({ ...over, user: 'PLACEHOLDER' }).replace('"fullVisitorId":"PLACEHOLDER"', `"${field}":${id}`);

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempLake()));
afterAll(() => cleanup());

const cli = (args: string[]): { code: number; stdout: string; stderr: string } =>
  runCli([...args, '--lake', dir], env);

describe('erasure of a user whose id is a JSON number above 2^53 (acceptance)', () => {
  it('leaves no trace of the id in Bronze, Silver, quarantine or the ledger, and keeps the neighbour with the same double', async () => {
    expect(String(Number(USER))).toBe(String(Number(NEIGHBOUR))); // the trap is real
    expect(String(Number(USER))).not.toBe(USER);
    const cut = numericLine(USER, { visit: '1470200003', date: '20160802' });
    const lines = [
      numericLine(USER, { visit: '1470100001', date: '20160801' }),
      numericLine(NEIGHBOUR, { visit: '1470100002', date: '20160801' }),
      numericLine(USER, { visit: '1470100003', date: '20160801', hits: 'many' }), // quarantined: bad field
      cut.slice(0, cut.indexOf(USER) + USER.length + 5), // quarantined: truncated after the id
      gaLine({ user: 'someone-else', visit: '1470100004', date: '20160801' }),
    ];
    await mkdir(join(dir, 'bronze', 'ga'), { recursive: true });
    await writeFile(join(dir, 'bronze', 'ga', 'day.ndjson'), lines.join('\n') + '\n');
    // The event shape in a .json array: `user_id` as a number, pretty-printed.
    const events = [
      numericLine(USER, { visit: '1470200001', date: '20160802' }, 'user_id'),
      numericLine(NEIGHBOUR, { visit: '1470200002', date: '20160802' }, 'user_id'),
    ];
    await mkdir(join(dir, 'bronze', 'events'), { recursive: true });
    await writeFile(join(dir, 'bronze', 'events', 'e.json'), `[\n  ${events.join(',\n  ')}\n]\n`);

    const run = cli(['run', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).totals).toMatchObject({ records_read: 7, silver: 5, rejected: 2 });

    const lake = new FsLake(dir);
    const ring = await loadKeyRing(lake, {});
    const ids = ring.pseudonymsOf(USER as RawUserId);
    const neighbour = ring.pseudonymsOf(NEIGHBOUR as RawUserId);
    const needles = [USER, ids.link, ids.versions.v1!];
    // Ingest read the exact digits: the user's Silver rows carry the exact id's pseudonym.
    const before = await silverRows(lake);
    expect(before.filter((r) => r.user_pseudonym === ids.versions.v1)).toHaveLength(2);
    expect(before.filter((r) => r.user_pseudonym === neighbour.versions.v1)).toHaveLength(2);
    const textsBefore = await lakeTexts(dir);
    for (const needle of needles)
      expect(
        textsBefore.some((f) => f.text.includes(needle)),
        needle,
      ).toBe(true);
    expect(textsBefore.filter((f) => f.path.startsWith('quarantine/') && f.text.includes(USER))).toHaveLength(
      1,
    );

    expect(cli(['erase', '--user', USER]).stdout).toContain('erasure requested');
    const flushed = cli(['flush-deletes', '--json']);
    expect(flushed.code, flushed.stderr).toBe(0);
    expect(JSON.parse(flushed.stdout)).toMatchObject({
      erasures_processed: 1,
      bronze_records_removed: 4, // the good line, the bad one, the cut one, the .json item
      silver_rows_removed: 2,
      quarantine_lines_removed: 2,
    });

    // Grep the whole lake (Bronze, Silver decoded, quarantine, private ledger and index, tables):
    // the raw id is nowhere; its pseudonyms only in the erasure record.
    const after = await lakeTexts(dir);
    for (const needle of needles) {
      const hits = after.filter((f) => f.text.includes(needle)).map((f) => f.path);
      const allowed = needle === USER ? [] : hits.filter((p) => p.startsWith('tables/erasures/'));
      expect(hits, needle).toEqual(allowed);
    }
    // The neighbour is untouched: both Bronze records (byte for byte) and both Silver rows.
    const bronze = after.filter((f) => f.path.startsWith('bronze/')).map((f) => f.text);
    for (const line of [lines[1]!, events[1]!])
      expect(
        bronze.some((t) => t.includes(line)),
        line,
      ).toBe(true);
    expect((await silverRows(lake)).filter((r) => r.user_pseudonym === neighbour.versions.v1)).toHaveLength(
      2,
    );
    expect((await silverRows(lake)).length).toBe(before.length - 2);
  });
});
