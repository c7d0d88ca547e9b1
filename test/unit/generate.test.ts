import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { generate, type GenerateResult, type Truth } from '../../src/generate/index.js';
import { Xoshiro128 } from '../../src/generate/prng.js';

// Every test here is deterministic (fixed seeds), so none can fail by chance.

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Session = Record<string, Json> & {
  visitNumber: string;
  visitId: string;
  visitStartTime: string;
  date: string;
  fullVisitorId: string;
  totals: Record<string, string>;
  device: { browser: string; deviceCategory: string };
  geoNetwork: { continent: string; country: string };
  trafficSource: { source: string; campaign: string };
  channelGrouping: string;
};

const TOP_KEYS = [
  'visitNumber',
  'visitId',
  'visitStartTime',
  'date',
  'totals',
  'trafficSource',
  'device',
  'geoNetwork',
  'fullVisitorId',
  'channelGrouping',
];
const TOTALS_KEYS = new Set([
  'hits',
  'pageviews',
  'timeOnSite',
  'bounces',
  'transactions',
  'transactionRevenue',
  'totalTransactionRevenue',
  'newVisits',
]);
const CONTINENTS = ['Americas', 'Asia', 'Europe', 'Oceania', 'Africa', '(not set)'];
const DEVICES = ['desktop', 'mobile', 'tablet'];
const INT = /^(0|[1-9][0-9]*)$/;

const laDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/Los_Angeles',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
const localDay = (unixSeconds: number): string =>
  laDate.format(new Date(unixSeconds * 1000)).replaceAll('-', '');

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dp-test-generate-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function readSessions(file: string): Session[] {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  if (text === '') return [];
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Session);
}

function readAll(result: GenerateResult): Session[] {
  return result.files.flatMap(readSessions);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function byVisitor(sessions: Session[]): Map<string, Session[]> {
  const map = new Map<string, Session[]>();
  for (const s of sessions) map.set(s.fullVisitorId, [...(map.get(s.fullVisitorId) ?? []), s]);
  return map;
}

function monthOf(s: Session): string {
  return `${s.date.slice(0, 4)}-${s.date.slice(4, 6)}`;
}

/** The truth recomputed from the lines, the way the pipeline's analyses see them. */
function recount(sessions: Session[]): Truth['months'] {
  const months: Record<
    string,
    {
      sessions: number;
      users: Set<string>;
      continents: Record<string, number>;
      durations: Record<string, { count: number; sum: number }>;
    }
  > = {};
  for (const s of sessions) {
    const m = (months[monthOf(s)] ??= {
      sessions: 0,
      users: new Set(),
      continents: Object.fromEntries(CONTINENTS.map((c) => [c, 0])),
      durations: Object.fromEntries(DEVICES.map((d) => [d, { count: 0, sum: 0 }])),
    });
    m.sessions++;
    m.users.add(s.fullVisitorId);
    m.continents[s.geoNetwork.continent]!++;
    const tos = s.totals.timeOnSite;
    if (tos !== undefined) {
      const d = m.durations[s.device.deviceCategory]!;
      d.count++;
      d.sum += Math.min(600_000, Math.max(0, Number(tos) * 1000));
    }
  }
  const out: Truth['months'] = {};
  for (const [key, m] of Object.entries(months)) {
    out[key] = {
      sessions: m.sessions,
      distinct_users: m.users.size,
      sessions_per_continent: m.continents,
      avg_session_duration_per_device: Object.fromEntries(
        Object.entries(m.durations).map(([d, v]) => [
          d,
          { count: v.count, sum_ms: v.sum, mean_ms: v.count === 0 ? null : v.sum / v.count },
        ]),
      ),
    };
  }
  return out;
}

describe('generate: a small run (3 days, 5000 users)', () => {
  let dir: string;
  let result: GenerateResult;
  let truth: Truth;
  let sessions: Session[];
  const progress: [number, number][] = [];

  beforeAll(async () => {
    dir = await tempDir();
    result = await generate({
      out: dir,
      days: 3,
      users: 5000,
      seed: 'unit',
      startDate: '2016-08-01',
      onProgress: (done, total) => progress.push([done, total]),
    });
    truth = JSON.parse(await readFile(result.truthFile, 'utf8')) as Truth;
    sessions = readAll(result);
  });

  it('writes one gzip NDJSON file per day under bronze/synthetic and truth.json outside Bronze', async () => {
    expect(await listFiles(dir)).toEqual([
      'bronze/synthetic/2016/08/01/ga_sessions_20160801.ndjson.gz',
      'bronze/synthetic/2016/08/02/ga_sessions_20160802.ndjson.gz',
      'bronze/synthetic/2016/08/03/ga_sessions_20160803.ndjson.gz',
      'truth.json',
    ]);
    expect(result.files.map((f) => relative(dir, f))).toEqual([
      'bronze/synthetic/2016/08/01/ga_sessions_20160801.ndjson.gz',
      'bronze/synthetic/2016/08/02/ga_sessions_20160802.ndjson.gz',
      'bronze/synthetic/2016/08/03/ga_sessions_20160803.ndjson.gz',
    ]);
    expect(result.truthFile).toBe(join(dir, 'truth.json'));
  });

  it('writes lines in the GA360 export shape: integers as strings, nulls omitted, export key order', () => {
    expect(sessions.length).toBe(result.sessions);
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) {
      expect(Object.keys(s)).toEqual(TOP_KEYS);
      for (const k of ['visitNumber', 'visitId', 'visitStartTime']) expect(s[k]).toMatch(INT);
      expect(s.visitId).toBe(s.visitStartTime);
      expect(s.fullVisitorId).toMatch(/^[0-9]{19}$/);
      expect(Object.keys(s.trafficSource).sort()).toEqual(['campaign', 'source']);
      expect(Object.keys(s.device)).toEqual(['browser', 'deviceCategory']);
      expect(Object.keys(s.geoNetwork)).toEqual(['continent', 'country']);
      expect(DEVICES).toContain(s.device.deviceCategory);
      expect(CONTINENTS).toContain(s.geoNetwork.continent);
      for (const v of [s.trafficSource, s.device, s.geoNetwork, s.channelGrouping].flatMap((x) =>
        typeof x === 'string' ? [x] : Object.values(x),
      )) {
        expect(typeof v === 'string' && v.length > 0).toBe(true);
      }
      for (const [k, v] of Object.entries(s.totals)) {
        expect(TOTALS_KEYS.has(k)).toBe(true);
        expect(v).toMatch(INT);
      }
    }
  });

  it('keeps totals consistent: hits in 1..500, pageviews ≤ hits, bounces iff one hit, flags never "0"', () => {
    for (const { totals: t, visitNumber } of sessions) {
      const hits = Number(t.hits);
      expect(hits).toBeGreaterThanOrEqual(1);
      expect(hits).toBeLessThanOrEqual(500);
      if (t.pageviews !== undefined) expect(Number(t.pageviews)).toBeLessThanOrEqual(hits);
      expect(t.bounces).toBe(hits === 1 ? '1' : undefined);
      expect(t.newVisits).toBe(visitNumber === '1' ? '1' : undefined);
      expect(t.transactionRevenue !== undefined).toBe(t.transactions !== undefined);
      if (t.transactionRevenue !== undefined) {
        expect(Number(t.transactions)).toBeGreaterThanOrEqual(1);
        expect(Number(t.transactionRevenue) % 10_000).toBe(0);
        expect(Number(t.totalTransactionRevenue) % 10_000).toBe(0);
      }
      if (t.timeOnSite !== undefined) expect(Number(t.timeOnSite)).toBeGreaterThanOrEqual(1);
    }
    const share = (p: (s: Session) => boolean): number => sessions.filter(p).length / sessions.length;
    expect(share((s) => s.totals.timeOnSite !== undefined)).toBeGreaterThan(0.4);
    expect(share((s) => s.totals.timeOnSite !== undefined)).toBeLessThan(0.65);
    expect(share((s) => s.totals.bounces !== undefined)).toBeGreaterThan(0.35);
  });

  it('dates each session by its local day in America/Los_Angeles, which is the file day', () => {
    for (const file of result.files) {
      const day = /ga_sessions_(\d{8})\.ndjson\.gz$/.exec(file)![1]!;
      for (const s of readSessions(file)) {
        expect(s.date).toBe(day);
        expect(localDay(Number(s.visitStartTime))).toBe(day);
      }
    }
    // 2016-08-01 00:00 PDT = 07:00 UTC.
    const first = Math.min(...sessions.map((s) => Number(s.visitStartTime)));
    expect(first).toBeGreaterThanOrEqual(1_470_034_800);
  });

  it('gives each user one 19-digit fullVisitorId, some with leading zeros', () => {
    const ids = new Set(sessions.map((s) => s.fullVisitorId));
    expect(ids.size).toBe(sessions.length);
    expect([...ids].some((id) => id.startsWith('0'))).toBe(true);
  });

  it('writes a truth.json equal to a recount of the lines', () => {
    expect(truth).toMatchObject({
      seed: 'unit',
      users: 5000,
      days: 3,
      sessions: sessions.length,
      exact_after_bounding: true,
    });
    expect(truth.months).toEqual(recount(sessions));
    expect(Object.values(truth.months['2016-08']!.sessions_per_continent).reduce((a, b) => a + b, 0)).toBe(
      sessions.length,
    );
  });

  it('reports progress up to the total, which is known from the start', () => {
    expect(progress[0]).toEqual([0, result.sessions]);
    expect(progress[progress.length - 1]).toEqual([result.sessions, result.sessions]);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]![0]).toBeGreaterThanOrEqual(progress[i - 1]![0]);
  });
});

describe('generate: determinism', () => {
  const opts = { days: 2, users: 300, startDate: '2017-03-11' };

  async function bytes(seed: string): Promise<Map<string, Buffer>> {
    const dir = await tempDir();
    await generate({ ...opts, out: dir, seed });
    const files = await listFiles(dir);
    return new Map(await Promise.all(files.map(async (f) => [f, await readFile(join(dir, f))] as const)));
  }

  it('writes byte-identical files for the same seed and different Bronze for another seed', async () => {
    const [a, b, c] = await Promise.all([bytes('same'), bytes('same'), bytes('other')]);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [file, content] of a) expect(content.equals(b.get(file)!)).toBe(true);
    const day = 'bronze/synthetic/2017/03/11/ga_sessions_20170311.ndjson.gz';
    expect(c.get(day)!.equals(a.get(day)!)).toBe(false);
  });
});

describe('generate: sessions per user per month', () => {
  it('gives every user exactly one session in each fully covered month and none twice in a month', async () => {
    const dir = await tempDir();
    // 2016-08-30 .. 2016-10-02: Aug and Oct partly, Sep fully.
    const result = await generate({
      out: dir,
      days: 34,
      users: 400,
      seed: 'months',
      startDate: '2016-08-30',
    });
    const sessions = readAll(result);
    const perUserMonth = new Map<string, number>();
    for (const s of sessions) {
      const key = `${s.fullVisitorId}/${monthOf(s)}`;
      perUserMonth.set(key, (perUserMonth.get(key) ?? 0) + 1);
    }
    expect(Math.max(...perUserMonth.values())).toBe(1);
    const truth = JSON.parse(await readFile(result.truthFile, 'utf8')) as Truth;
    expect(Object.keys(truth.months)).toEqual(['2016-08', '2016-09', '2016-10']);
    expect(truth.months['2016-09']).toMatchObject({ sessions: 400, distinct_users: 400 });
    expect(truth.months).toEqual(recount(sessions));
    // A user's first session is their visitNumber 1 and the only one flagged new.
    const byUser = byVisitor(sessions);
    for (const list of byUser.values()) {
      const ordered = list.sort((x, y) => Number(x.visitStartTime) - Number(y.visitStartTime));
      expect(ordered.map((s) => s.visitNumber)).toEqual(ordered.map((_, i) => String(i + 1)));
    }
  });

  it('with several per month, gives each user that many sessions with rising visitNumber and distinct visitIds', async () => {
    const dir = await tempDir();
    const result = await generate({
      out: dir,
      days: 30,
      users: 200,
      seed: 'several',
      startDate: '2016-11-01',
      sessionsPerUserPerMonth: 3,
    });
    const sessions = readAll(result);
    expect(sessions.length).toBe(600);
    const byUser = byVisitor(sessions);
    expect(byUser.size).toBe(200);
    for (const list of byUser.values()) {
      expect(new Set(list.map((s) => s.visitId)).size).toBe(3);
      const ordered = list.sort((x, y) => Number(x.visitStartTime) - Number(y.visitStartTime));
      expect(ordered.map((s) => s.visitNumber)).toEqual(['1', '2', '3']);
      expect(new Set(list.map((s) => `${s.device.deviceCategory}/${s.geoNetwork.country}`)).size).toBe(1);
    }
    const truth = JSON.parse(await readFile(result.truthFile, 'utf8')) as Truth;
    expect(truth).toMatchObject({
      sessions: 600,
      sessions_per_user_per_month: 3,
      exact_after_bounding: false,
    });
    expect(truth.months['2016-11']!.distinct_users).toBe(200);
    expect(truth.months).toEqual(recount(sessions));
  });

  it('handles the 25-hour day when daylight saving time ends', async () => {
    const dir = await tempDir();
    const result = await generate({ out: dir, days: 1, users: 10_000, seed: 'dst', startDate: '2016-11-06' });
    const starts = readAll(result).map((s) => Number(s.visitStartTime));
    // 2016-11-06 00:00 PDT = 07:00 UTC; 2016-11-07 00:00 PST = 08:00 UTC.
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(1_478_415_600);
    expect(Math.max(...starts)).toBeLessThan(1_478_505_600);
    // Sessions in the 25th hour exist: uniform starts put ~1/25 of 10000/30 ≈ 13 there (none: p ≈ 1e-6; the seed is fixed).
    expect(starts.some((t) => t >= 1_478_415_600 + 24 * 3600)).toBe(true);
  });
});

describe('generate: options', () => {
  it.each([
    [{ days: 0 }, /days/],
    [{ users: 1.5 }, /users/],
    [{ startDate: '2016-02-30' }, /startDate/],
    [{ sessionsPerUserPerMonth: 0 }, /sessionsPerUserPerMonth/],
  ])('rejects %j with a UserError', async (bad, message) => {
    const run = generate({ out: await tempDir(), days: 1, users: 1, seed: 's', ...bad });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(message);
  });
});

describe('Xoshiro128', () => {
  it('matches the reference C implementation (xoshiro128starstar.c) from state {1, 2, 3, 4}', () => {
    const rng = new Xoshiro128([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => rng.nextU32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
    for (let i = 0; i < 994; i++) rng.nextU32();
    expect(rng.nextU32()).toBe(136054147);
  });
});
