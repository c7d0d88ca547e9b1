import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openActivity } from '../../src/activity/index.js';
import { loadKeyRing } from '../../src/silver/key-ring.js';
import type { RawUserId } from '../../src/silver/pseudonym.js';
import { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { lakeTexts } from '../helpers/grep-lake.js';
import { gaLine, tempLake } from '../helpers/lake.js';
import { silverRows } from '../helpers/silver.js';

// Real GA360 visitors of the shipped sample: USER has sessions on 2016-08-02..05 (both sides of
// the key rotation below); OTHER on 08-02, 08-04 and 08-05 (erased through a dropped request file).
const USER = '315017261115039181';
const OTHER = '8411502430758425693';
const env = { DP_PSEUDONYM_KEY: '' };

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempLake());
});
afterAll(() => cleanup());

const copyDay = (day: string): Promise<void> =>
  cp(`examples/ga360/bronze/2016/08/${day}`, join(dir, 'bronze', 'ga360', '2016', '08', day), {
    recursive: true,
  });

async function sessionsOf(user: string, days: string[]): Promise<number> {
  let n = 0;
  for (const d of days) {
    const text = gunzipSync(
      await readFile(`examples/ga360/bronze/2016/08/${d}/ga_sessions_201608${d}.ndjson.gz`),
    );
    n += text
      .toString()
      .split('\n')
      .filter((l) => l.includes(`"fullVisitorId":"${user}"`)).length;
  }
  return n;
}

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  return runCli([...args, '--lake', dir], env);
}

describe('erasure leaves no trace (acceptance)', () => {
  it('removes a real GA360 user everywhere, across a key rotation, and drops their late data', async () => {
    await copyDay('02');
    await copyDay('03');
    expect(cli(['run']).code).toBe(0);
    const early = cli(['rotate-key', '--effective', '2016-08-03']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/Silver already holds rows up to 2016-08-03/);
    const rotated = cli(['rotate-key', '--effective', '2016-08-04']);
    expect(rotated.stdout).toContain('key v2 added');
    await copyDay('04');
    await copyDay('05');
    // A bad line of the user: quarantined with its raw text.
    await mkdir(join(dir, 'bronze', 'bad'), { recursive: true });
    await writeFile(
      join(dir, 'bronze', 'bad', 'b.ndjson'),
      gaLine({ user: USER, visit: '1470300000', date: '20160804', hits: 'many' }) + '\n',
    );
    const second = cli(['run', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).totals.rejected).toBe(1);

    const lake = new FsLake(dir);
    const ring = await loadKeyRing(lake, {});
    const ids = ring.pseudonymsOf(USER as RawUserId);
    const needles = [USER, ids.link, ids.versions.v1!, ids.versions.v2!];
    expect(Object.keys(ids.versions)).toEqual(['v1', 'v2']);
    // The search works: before erasure each needle is found (raw id in Bronze and quarantine,
    // v1/v2 pseudonyms in Silver, the link in the ledger).
    const before = await lakeTexts(dir);
    for (const needle of needles)
      expect(
        before.some((f) => f.text.includes(needle)),
        needle,
      ).toBe(true);
    const silverBefore = (await silverRows(lake)).length;
    const activity = await openActivity(lake);
    const usersBefore = await activity.distinctUsers('2016-08-02', '2016-08-06');

    expect(cli(['erase', '--user', USER]).stdout).toContain('erasure requested');
    expect(await activity.distinctUsers('2016-08-02', '2016-08-06')).toBe(usersBefore - 1); // excluded at once
    expect(cli(['erase', '--user', USER]).stdout).toContain('already requested');
    const flushed = cli(['flush-deletes', '--json']);
    expect(flushed.code).toBe(0);
    const counts = JSON.parse(flushed.stdout);
    const userSessions = await sessionsOf(USER, ['02', '03', '04', '05']);
    expect(counts.erasures_processed).toBe(1);
    expect(counts.bronze_records_removed).toBe(userSessions + 1); // + the bad line
    expect(counts.silver_rows_removed).toBe(userSessions);
    expect(counts.activity_rows_removed).toBe(4);
    expect(counts.quarantine_lines_removed).toBe(1);
    expect((await silverRows(lake)).length).toBe(silverBefore - userSessions);
    expect(cli(['erase', '--user', USER]).stdout).toContain('already erased');

    // Late data of the erased user is dropped on arrival; a request file erases OTHER.
    await mkdir(join(dir, 'bronze', 'late'), { recursive: true });
    await writeFile(
      join(dir, 'bronze', 'late', 'l.ndjson'),
      [
        gaLine({ user: USER, visit: '1470450000', date: '20160806' }),
        gaLine({ user: '42', visit: '1470450001', date: '20160806' }),
      ].join('\n') + '\n',
    );
    await mkdir(join(dir, 'bronze', 'erasures'), { recursive: true });
    await writeFile(join(dir, 'bronze', 'erasures', 'request-1.json'), JSON.stringify([OTHER]));
    const third = cli(['run', '--json']);
    expect(third.code).toBe(0);
    const report = JSON.parse(third.stdout);
    expect(report.totals).toMatchObject({ records_read: 2, silver: 1, erased_dropped: 1, balanced: true });
    expect(report.erasures).toMatchObject({ requests_from_files: 1, erasures_processed: 1 });
    expect(report.erasures.silver_rows_removed).toBe(await sessionsOf(OTHER, ['02', '04', '05']));
    expect(cli(['run', '--json']).stdout).toContain('"records_read": 0'); // the rewritten blob is not new

    expect(await activity.distinctUsers('2016-08-02', '2016-08-06')).toBe(usersBefore - 2 + 1); // + user 42
    expect(await activity.dau('2016-08-06')).toBe(1);
    // The ledger agrees with Silver after the rewrites: DAU = distinct Silver pseudonyms per day.
    const rows = await silverRows(lake);
    for (const day of ['2016-08-02', '2016-08-03', '2016-08-04', '2016-08-05', '2016-08-06']) {
      const silverDau = new Set(rows.filter((r) => r.date === day).map((r) => r.user_pseudonym)).size;
      expect(await activity.dau(day), day).toBe(silverDau);
    }
    activity.close();

    // Grep the whole lake: Bronze, Silver (decoded), quarantine, private (ledger, index, keys,
    // reports), gold and tables. Only the erasure records may hold the pseudonyms; the raw ids
    // appear nowhere.
    const other = ring.pseudonymsOf(OTHER as RawUserId);
    const after = await lakeTexts(dir);
    for (const needle of [...needles, OTHER, other.link, other.versions.v1!, other.versions.v2!]) {
      const hits = after.filter((f) => f.text.includes(needle)).map((f) => f.path);
      const allowed =
        needle === USER || needle === OTHER ? [] : hits.filter((p) => p.startsWith('tables/erasures/'));
      expect(hits, needle).toEqual(allowed);
    }
    const record = after.find((f) => f.path.startsWith('tables/erasures/') && f.text.includes(ids.link));
    expect(record?.text).toContain(ids.versions.v1);
    expect(record?.text).toContain(ids.versions.v2);
  });
});
