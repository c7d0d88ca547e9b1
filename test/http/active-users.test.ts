import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { apiKeyMatches, createApp, parseApiKeys } from '../../src/http/index.js';
import type { FsLake } from '../../src/storage/index.js';
import { modelCounts, syntheticActivity } from '../helpers/activity.js';
import { tempLake } from '../helpers/lake.js';

const KEY = 'test-key-0123456789';
const NOW = new Date('2016-10-15T12:00:00Z');

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

describe('HTTP API: DAU / MAU / budget / events', () => {
  let lake: FsLake;
  let dir: string;
  let cleanup: () => Promise<void>;
  let app: ReturnType<typeof createApp>;
  const counts = modelCounts(syntheticActivity(200));
  const config = parseConfig({
    ...DEFAULT_CONFIG_INPUT,
    active_users: { ...DEFAULT_CONFIG_INPUT.active_users, dau: { epsilon: 0.3, monthly_epsilon_cap: 0.6 } },
  });
  let seed = 0;

  const get = (path: string, key = KEY): Promise<Response> =>
    Promise.resolve(
      app.fetch(new Request(`http://x${path}`, { headers: key !== '' ? { 'x-api-key': key } : {} })),
    );
  const post = (path: string, body: string, key = KEY): Promise<Response> =>
    Promise.resolve(
      app.fetch(
        new Request(`http://x${path}`, {
          method: 'POST',
          body,
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
        }),
      ),
    );

  beforeEach(async () => {
    ({ lake, dir, cleanup } = await tempLake());
    app = createApp({
      version: '1',
      lake,
      config,
      clock: () => NOW,
      apiKeys: [KEY, 'other-key'],
      counts: () => Promise.resolve(counts),
      rng: () => seededRandom(`http-${seed++}`),
      charts: false,
      maxBodyBytes: 4096,
    });
  });
  afterEach(() => cleanup());

  it('needs an API key everywhere but /healthz, compared in constant time', async () => {
    expect((await get('/healthz', '')).status).toBe(200);
    expect((await get('/dau/2016-08-01', '')).status).toBe(401);
    expect((await get('/dau/2016-08-01', 'test-key-0123456788')).status).toBe(401);
    expect((await get('/metrics', '')).status).toBe(401);
    expect((await get('/dau/2016-08-01', 'other-key')).status).toBe(200);
    expect(parseApiKeys(' a, b,,')).toEqual(['a', 'b']);
    expect(() => createApp({ version: '1', lake, config })).toThrow(/API keys/);
    expect(apiKeyMatches('a', [])).toBe(false);
  });

  it('answers GET /dau/{day} with the DP estimate, then re-serves it without spending', async () => {
    const res = await get('/dau/2016-08-03');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      day: '2016-08-03',
      epsilon_used: 0.3,
      delta: 0,
      mechanism: 'discrete_laplace',
      budget_remaining: 0.3,
      reused: false,
    });
    expect(body.lower_95 as number).toBeLessThan(body.estimate as number);
    const again = (await (await get('/dau/2016-08-03')).json()) as Record<string, unknown>;
    expect(again).toMatchObject({ estimate: body.estimate, reused: true, budget_remaining: 0.3 });
  });

  it('answers 429 with the remaining budget when the cap is reached, and writes nothing', async () => {
    expect((await get('/dau/2016-08-01')).status).toBe(200);
    expect((await get('/dau/2016-08-02')).status).toBe(200);
    const before = await filesUnder(dir);
    const res = await get('/dau/2016-08-04');
    expect(res.status).toBe(429);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: 'budget_exhausted',
      limit: 'metric',
      metric: 'dau',
      period: '2016-08',
      epsilon_cap: 0.6,
      epsilon_spent: 0.6,
      epsilon_remaining: 0,
      next_reset: '2016-09-01',
    });
    expect(await filesUnder(dir)).toEqual(before);
    const budget = (await (await get('/budget/dau?month=2016-08')).json()) as Record<string, unknown>;
    expect(budget).toMatchObject({
      metric: 'dau',
      period: '2016-08',
      release_count: 2,
      epsilon_remaining: 0,
      // The month's per-person total over every metric.
      total: { epsilon_cap: 8, epsilon_spent: 0.6, epsilon_remaining: 7.4, delta: 0, release_count: 2 },
    });
    expect(await (await get('/budget/dau')).json()).toMatchObject({ period: '2016-10' });
    const byDay = (await (await get('/budget/mau?day=2016-08-09')).json()) as Record<string, unknown>;
    expect(byDay).toMatchObject({
      metric: 'mau',
      day: '2016-08-09',
      period: '2016-08',
      delta: 1e-6,
      epsilon_spent: 0,
    });
  });

  it('answers 429 naming the per-person total when it, not the metric cap, is reached', async () => {
    const totalApp = createApp({
      version: '1',
      lake,
      config: parseConfig({
        ...DEFAULT_CONFIG_INPUT,
        budget: { ...DEFAULT_CONFIG_INPUT.budget, total_monthly_epsilon_cap: 0.7 },
      }),
      clock: () => NOW,
      apiKeys: [KEY],
      counts: () => Promise.reject(new Error('a refused release must not be counted')),
      charts: false,
    });
    const ask = (path: string): Promise<Response> =>
      Promise.resolve(totalApp.fetch(new Request(`http://x${path}`, { headers: { 'x-api-key': KEY } })));
    expect((await get('/dau/2016-08-01')).status).toBe(200);
    expect((await get('/dau/2016-08-02')).status).toBe(200);
    const before = await filesUnder(dir);
    const res = await ask('/mau?end=2016-08-31&window=30');
    expect(res.status).toBe(429);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: 'budget_exhausted',
      limit: 'total',
      metric: 'mau',
      period: '2016-08',
      epsilon_cap: 0.7,
      epsilon_spent: 0.6,
      total: { epsilon_cap: 0.7, epsilon_spent: 0.6, release_count: 2 },
      next_reset: '2016-09-01',
    });
    expect(body.epsilon_remaining).toBeCloseTo(0.1, 12);
    expect(body.message).toMatch(/total per-person budget .*total_monthly_epsilon_cap/);
    expect(await filesUnder(dir)).toEqual(before);
  });

  it('computes a day once under concurrent requests, across two app instances on one lake', async () => {
    const twin = createApp({
      version: '1',
      lake,
      config,
      clock: () => NOW,
      apiKeys: [KEY],
      counts: () => Promise.resolve(counts),
      rng: () => seededRandom(`http-twin-${seed++}`),
      charts: false,
    });
    const ask = (a: typeof app): Promise<Response> =>
      Promise.resolve(a.fetch(new Request('http://x/dau/2016-08-07', { headers: { 'x-api-key': KEY } })));
    const answers = await Promise.all([ask(app), ask(twin), ask(app), ask(twin), ask(app), ask(twin)]);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { estimate: number }[];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(bodies.map((b) => b.estimate)).size).toBe(1);
    const budget = (await (await get('/budget/dau?month=2016-08')).json()) as Record<string, unknown>;
    expect(budget).toMatchObject({ epsilon_spent: 0.3, release_count: 1 });
  });

  it('answers GET /mau with a rolling window', async () => {
    const res = await get('/mau?end=2016-08-31&window=7');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      day: '2016-08-31',
      window_days: 7,
      window_start: '2016-08-25',
      mechanism: 'discrete_gaussian',
      delta: 1e-6,
    });
  });

  it('answers bad requests with a one-line 400, unknown routes 404, big bodies 413', async () => {
    const cases: [Promise<Response>, RegExp][] = [
      [get('/dau/2016-13-45'), /day must be a date YYYY-MM-DD, got '2016-13-45'/],
      [get('/dau/2016-10-15'), /not closed yet/],
      [get('/mau'), /end=YYYY-MM-DD is required/],
      [get('/mau?end=2016-08-31&window=x'), /window must be a whole number/],
      [get('/mau?end=2016-08-31&window=400'), /window must be/],
      [get('/budget/wau'), /metric must be one of dau, mau, got 'wau'/],
      [get('/budget/dau?month=2016-8'), /month must be YYYY-MM/],
      [post('/event', '{"nope": 1}'), /body must be/],
      [post('/event', 'not json'), /not valid JSON/],
      [post('/event', '{"event": {"user_id": "u", "op": "*", "day": "2016-08-01"}}'), /events\[0\]\.op/],
      [post('/event', '{"events": [{"user_id": "u", "op": "+", "day": "yesterday"}]}'), /events\[0\]\.day/],
      [post('/erase', '{}'), /user_id/],
    ];
    for (const [pending, message] of cases) {
      const res = await pending;
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { message: string } };
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    }
    expect((await get('/nope')).status).toBe(404);
    const big = JSON.stringify({
      events: Array.from({ length: 200 }, () => ({ user_id: 'x'.repeat(30), op: '+' })),
    });
    expect((await post('/event', big)).status).toBe(413);
  });

  it('ingests events to Bronze and records erasures by pseudonym only', async () => {
    const res = await post(
      '/event',
      JSON.stringify({
        events: [
          { user_id: 'alice-raw-id', op: '+', day: '2016-08-01' },
          { user_id: 'bob-raw-id', op: '+', day: '2016-08-02', metadata: { source: 'app' } },
          { user_id: 'carol-raw-id', op: '-', day: '2016-08-02' },
        ],
      }),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ingested: 3 });
    const bronze: string[] = [];
    for await (const o of lake.objects('bronze').list('')) bronze.push(o.key);
    expect(bronze).toHaveLength(1);
    const text = (await lake.objects('bronze').read(bronze[0]!)).toString();
    expect(text).toContain('alice-raw-id');
    expect(text).not.toContain('carol-raw-id');
    const erase = await post('/erase', JSON.stringify({ user_id: 'dave-raw-id' }));
    expect(erase.status).toBe(202);
    expect(await erase.json()).toEqual({ status: 'pending' });
    const tables = await filesUnder(join(dir, 'tables'));
    for (const f of tables) {
      const t = await readFile(f, 'utf8');
      expect(t).not.toContain('carol-raw-id');
      expect(t).not.toContain('dave-raw-id');
    }
    expect(tables.some((f) => f.includes('erasures'))).toBe(true);
  });

  it('exposes Prometheus counters without user data', async () => {
    await get('/dau/2016-08-03');
    await get('/dau/2016-08-03');
    await post('/erase', JSON.stringify({ user_id: 'erin-raw-id' }));
    const res = await get('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('dp_http_requests_total{route="/dau/:day",status="200"} 2');
    expect(text).toContain('dp_releases_total{metric="dau",outcome="computed"} 1');
    expect(text).toContain('dp_releases_total{metric="dau",outcome="reused"} 1');
    expect(text).toContain('dp_epsilon_spent_total{metric="dau"} 0.3');
    expect(text).toContain('dp_erasures_requested_total 1');
    expect(text).not.toMatch(/2016-08-03|erin/);
  });
});
