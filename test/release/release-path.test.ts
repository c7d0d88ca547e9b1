import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActiveUsers, type ActiveUsersDeps } from '../../src/active-users/index.js';
import { DEFAULT_CONFIG_INPUT, parseConfig, type PipelineConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { DataPendingError } from '../../src/errors.js';
import { createApp } from '../../src/http/index.js';
import { releaseRecordKey } from '../../src/lake/index.js';
import { ReleaseRecords } from '../../src/release/index.js';
import type { FsLake } from '../../src/storage/index.js';
import { modelCounts, syntheticActivity } from '../helpers/activity.js';
import { tempLake } from '../helpers/lake.js';

const NOW = new Date('2016-10-15T12:00:00Z');
const DAY = '2016-08-03';

/** Everything the ledger holds, as text: "the ledger does not move" means this does not change. */
async function ledgerDump(lake: FsLake): Promise<string> {
  const rows: string[] = [];
  for await (const { entity } of lake.tables('budget').list()) rows.push(JSON.stringify(entity));
  return rows.sort().join('\n');
}

async function goldText(lake: FsLake, key: string): Promise<string | undefined> {
  const store = lake.objects('gold');
  return (await store.head(key)) ? (await store.read(key)).toString('utf8') : undefined;
}

describe('the one release path: records are the authority, Gold is restored from them', () => {
  let lake: FsLake;
  let cleanup: () => Promise<void>;
  let config: PipelineConfig;
  const counts = modelCounts(syntheticActivity(300));
  let seed = 0;
  const users = (over: Partial<ActiveUsersDeps> = {}): ActiveUsers =>
    new ActiveUsers({
      lake,
      config,
      clock: () => NOW,
      counts: () => Promise.resolve(counts),
      rng: () => seededRandom(`release-path-${seed++}`),
      charts: false,
      ...over,
    });

  beforeEach(async () => {
    ({ lake, cleanup } = await tempLake());
    config = parseConfig(DEFAULT_CONFIG_INPUT);
  });
  afterEach(() => cleanup());

  const kinds: [
    string,
    (u: ActiveUsers) => Promise<{ path: string; reused: boolean; epsilonCharged: number }>,
  ][] = [
    ['DAU', (u) => u.dau(DAY)],
    ['MAU', (u) => u.mau('2016-08-31', 30)],
    ['the DAU series', (u) => u.series('dau', '2016-08')],
    ['the MAU series', (u) => u.series('mau', '2016-08')],
  ];

  for (const [name, ask] of kinds) {
    it(`restores a deleted or edited ${name} release byte-identical and spends nothing`, async () => {
      const first = await ask(users());
      expect(first.reused).toBe(false);
      const published = await goldText(lake, first.path);
      const ledger = await ledgerDump(lake);
      expect(published).toBeDefined();

      await lake.objects('gold').delete(first.path);
      const again = await ask(users());
      expect(again).toMatchObject({ reused: true, epsilonCharged: 0 });
      expect(await goldText(lake, first.path)).toBe(published);

      // An edit by hand (a value, the declared ε) is not published: the record wins.
      const edited = published!.replace(/"epsilon": [0-9.e-]+/, '"epsilon": 99');
      expect(edited).not.toBe(published);
      await lake.objects('gold').write(first.path, edited);
      await ask(users());
      expect(await goldText(lake, first.path)).toBe(published);
      expect(await ledgerDump(lake)).toBe(ledger);
    });
  }

  it('re-asking after deleting Gold never re-noises: 30 re-asks average to the one recorded value', async () => {
    const first = await users().dau(DAY);
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++) {
      await lake.objects('gold').delete(first.path);
      seen.add((await users().dau(DAY)).release.partitions[0]!.value);
    }
    expect([...seen]).toEqual([first.release.partitions[0]!.value]);
  });

  it('finishes a release whose record was written before a crash: Gold, row and chart come from the record', async () => {
    const u = users({ charts: true });
    const first = await u.dau(DAY);
    const published = await goldText(lake, first.path);
    // The crash: recorded, nothing published, no row.
    const base = first.path.replace(/\.json$/, '');
    for (const key of [first.path, `${base}.svg`, `${base}.png`]) await lake.objects('gold').delete(key);
    await lake.tables('releases').delete('dau', DAY);
    const ledger = await ledgerDump(lake);

    const again = await users({ charts: true }).dau(DAY);
    expect(again).toMatchObject({ reused: true, epsilonCharged: 0 });
    expect(await goldText(lake, first.path)).toBe(published);
    expect(await lake.objects('gold').head(`${base}.png`)).toBeDefined();
    expect(await lake.tables('releases').get('dau', DAY)).toBeDefined();
    expect(await ledgerDump(lake)).toBe(ledger);
  });

  it('refuses an altered record with a one-line error naming it', async () => {
    const first = await users().dau(DAY);
    const key = releaseRecordKey('dau', DAY);
    const text = (await lake.objects('private').read(key)).toString('utf8');
    await lake.objects('private').write(key, text.replace(/"value": -?\d+/, '"value": 12345'));
    await expect(new ReleaseRecords(lake).get('dau', DAY)).rejects.toThrow(/release record .* altered/);
    expect(first.release).toBeDefined();
  });

  it('answers "data pending" for a day while an event blob is unprocessed: nothing computed, spent or stored', async () => {
    const app = createApp({
      version: '1',
      lake,
      config,
      clock: () => NOW,
      apiKeys: ['k-0123456789abcdef'],
      counts: () => Promise.resolve(counts),
      rng: () => seededRandom('pending'),
      charts: false,
    });
    const headers = { 'x-api-key': 'k-0123456789abcdef', 'content-type': 'application/json' };
    const events = Array.from({ length: 30 }, (_, i) => ({ user_id: `late-${i}`, op: '+', day: DAY }));
    const posted = await app.fetch(
      new Request('http://x/event', { method: 'POST', headers, body: JSON.stringify({ events }) }),
    );
    expect(posted.status).toBe(202);
    const ledger = await ledgerDump(lake);
    const res = await app.fetch(new Request(`http://x/dau/${DAY}`, { headers }));
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ error: 'data_pending' });
    expect(await goldText(lake, `releases/dau/${DAY}.json`)).toBeUndefined();
    expect(await lake.objects('private').head(releaseRecordKey('dau', DAY))).toBeUndefined();
    expect(await ledgerDump(lake)).toBe(ledger);
    await expect(users().dau(DAY)).rejects.toBeInstanceOf(DataPendingError);
  });
});
