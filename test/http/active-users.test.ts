import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { apiKeyMatches, createApp, parseApiKeys } from '../../src/http/index.js';
import type { FsLake } from '../../src/storage/index.js';
import { modelCounts, syntheticActivity } from '../helpers/activity.js';
import { conformingFetch } from '../helpers/http-contract.js';
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
  let app: { fetch: (req: Request) => Promise<Response> };
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
    app = {
      fetch: conformingFetch(
        createApp({
          version: '1',
          lake,
          config,
          clock: () => NOW,
          apiKeys: [KEY, 'other-key'],
          counts: () => Promise.resolve(counts),
          rng: () => seededRandom(`http-${seed++}`),
          charts: false,
          maxBodyBytes: 4096,
        }),
      ),
    };
  });
  afterEach(() => cleanup());

  it('needs an API key for the data routes, compared in constant time, and answers 401 in the flat error body', async () => {
    expect((await get('/healthz', '')).status).toBe(200);
    expect((await get('/openapi.json', '')).status).toBe(200);
    expect((await get('/metrics', '')).status).toBe(200);
    const denied = await get('/dau/2016-08-01', '');
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({
      error: 'unauthorized',
      message: 'missing or invalid X-API-Key header',
      hint: 'send a valid key in the X-API-Key header (one of the operator’s DP_API_KEYS)',
    });
    expect((await get('/dau/2016-08-01', 'test-key-0123456788')).status).toBe(401);
    expect((await get('/budget/dau', '')).status).toBe(401);
    expect((await post('/event', '{}', '')).status).toBe(401);
    expect((await get('/dau/2016-08-01', 'other-key')).status).toBe(200);
    expect(parseApiKeys(' a, b,,')).toEqual(['a', 'b']);
    expect(() => createApp({ version: '1', lake, config })).toThrow(/API keys/);
    expect(apiKeyMatches('a', [])).toBe(false);
  });

  it('answers GET /dau/{day} with the DP estimate, version, sketch and budget snapshot, then re-serves it without spending', async () => {
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
      version: '1',
      sketch_impl: 'exact',
      window_days: null,
      budget: {
        period: '2016-08',
        cap: 0.6,
        spent: 0.3,
        remaining: 0.3,
        release_count: 1,
        next_reset: '2016-09-01',
        total: { epsilon_cap: 8, epsilon_spent: 0.3, release_count: 1 },
      },
    });
    expect(body).not.toHaveProperty('exact_value');
    expect(body.lower_95 as number).toBeLessThan(body.estimate as number);
    const again = (await (await get('/dau/2016-08-03')).json()) as Record<string, unknown>;
    expect(again).toMatchObject({
      estimate: body.estimate,
      reused: true,
      budget_remaining: 0.3,
      budget: { spent: 0.3, release_count: 1 },
    });
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
      policy: { monthly_cap: 0.6, composition: 'sum', notes: expect.stringMatching(/pure ε-DP/) },
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
      policy: { monthly_cap: 3.5, composition: 'zcdp', notes: expect.stringMatching(/ρ .*δ = 1e-6/) },
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
      conformingFetch(totalApp)(new Request(`http://x${path}`, { headers: { 'x-api-key': KEY } }));
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
    const twinFetch = { fetch: conformingFetch(twin) };
    const ask = (a: typeof app): Promise<Response> =>
      a.fetch(new Request('http://x/dau/2016-08-07', { headers: { 'x-api-key': KEY } }));
    const answers = await Promise.all([
      ask(app),
      ask(twinFetch),
      ask(app),
      ask(twinFetch),
      ask(app),
      ask(twinFetch),
    ]);
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
      version: '1',
      sketch_impl: 'exact',
      budget: { period: '2016-08', cap: 3.5, release_count: 1, next_reset: '2016-09-01' },
    });
  });

  it('answers bad requests with a one-line 400 naming the field, unknown routes 404, big bodies 413, all in the flat error body', async () => {
    const cases: [Promise<Response>, RegExp][] = [
      [get('/dau/2016-13-45'), /^day must be a date YYYY-MM-DD, got '2016-13-45'$/],
      [get('/dau/2016-02-30'), /^day must be a date YYYY-MM-DD, got '2016-02-30'$/],
      [get('/dau/2016-10-15'), /not closed yet/],
      [get('/mau'), /end=YYYY-MM-DD is required/],
      [get('/mau?end=2016-08-32'), /^end must be a date YYYY-MM-DD, got '2016-08-32'$/],
      [get('/mau?end=2016-08-31&window=x'), /window must be a whole number/],
      [get('/mau?end=2016-08-31&window=400'), /window must be/],
      [get('/budget/wau'), /metric must be one of dau, mau, got 'wau'/],
      [get('/budget/dau?month=2016-8'), /month must be YYYY-MM, got '2016-8'/],
      [get('/budget/dau?day=2016-02-30'), /^day must be a date YYYY-MM-DD, got '2016-02-30'$/],
      [get('/budget/dau?day=2016-13-45'), /^day must be a date YYYY-MM-DD, got '2016-13-45'$/],
      [post('/event', '{"nope": 1}'), /body must be/],
      [post('/event', 'not json'), /not valid JSON/],
      [post('/event', '{"events": []}'), /^events: empty list$/],
      [
        post('/event', '{"event": {"user_id": "u", "op": "*", "day": "2016-08-01"}}'),
        /^event\.op: must be "\+" or "-", got "\*"$/,
      ],
      [
        post('/event', '{"events": [{"user_id": "u", "op": "+", "day": "yesterday"}]}'),
        /^events\[0\]\.day: must be a date/,
      ],
      [
        post('/event', '{"events": [{"user_id": " ", "op": "+", "day": "2016-08-01"}]}'),
        /^events\[0\]\.user_id: a non-empty/,
      ],
      [
        post('/event', '{"events": [{"user_id": "u", "op": "+"}]}'),
        /^events\[0\]\.day: required for op "\+"$/,
      ],
      [post('/erase', '{}'), /user_id/],
    ];
    for (const [pending, message] of cases) {
      const res = await pending;
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; message: string; hint: string };
      expect(body.error).toBe('invalid_request');
      expect(body.message).toMatch(message);
      expect(body.message).not.toContain('\n');
      expect(body.hint).toMatch(/openapi\.json/);
    }
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found', message: 'no route for GET /nope' });
    const big = JSON.stringify({
      events: Array.from({ length: 200 }, () => ({ user_id: 'x'.repeat(30), op: '+' })),
    });
    const tooBig = await post('/event', big);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({
      error: 'payload_too_large',
      message: 'request body over 4096 bytes',
    });
  });

  it('refuses a body with both event and events instead of dropping one, and ingests nothing', async () => {
    const res = await post(
      '/event',
      JSON.stringify({
        event: { user_id: 'alice-raw-id', op: '+', day: '2016-08-01' },
        events: [{ user_id: 'bob-raw-id', op: '+', day: '2016-08-02' }],
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/exactly one/),
    });
    const bronze: string[] = [];
    for await (const o of lake.objects('bronze').list('')) bronze.push(o.key);
    expect(bronze).toEqual([]);
  });

  it('releases as many MAU windows of one month under 50 concurrent requests as under 50 sequential ones', async () => {
    const mauConfig = parseConfig(DEFAULT_CONFIG_INPUT); // MAU ε = 0.5 per release, cap 3.5 per month
    const serve = (l: FsLake, tag: string) =>
      conformingFetch(
        createApp({
          version: '1',
          lake: l,
          config: mauConfig,
          clock: () => NOW,
          apiKeys: [KEY],
          counts: () => Promise.resolve(counts),
          rng: () => seededRandom(`${tag}-${seed++}`),
          charts: false,
        }),
      );
    const ask = (f: (r: Request) => Promise<Response>, w: number) =>
      f(new Request(`http://x/mau?end=2016-08-31&window=${w}`, { headers: { 'x-api-key': KEY } }));
    const windows = Array.from({ length: 50 }, (_, i) => i + 1);

    const sequential = serve(lake, 'seq');
    const seqStatus: number[] = [];
    for (const w of windows) seqStatus.push((await ask(sequential, w)).status);

    const other = await tempLake();
    try {
      const concurrent = serve(other.lake, 'conc');
      const concStatus = (await Promise.all(windows.map((w) => ask(concurrent, w)))).map((r) => r.status);
      const released = (xs: number[]) => xs.filter((s) => s === 200).length;
      expect(new Set([...seqStatus, ...concStatus])).toEqual(new Set([200, 429]));
      expect(released(seqStatus)).toBeGreaterThan(7); // more than adding ε (3.5 / 0.5) would allow
      expect(released(concStatus)).toBe(released(seqStatus));
      const budget = async (f: (r: Request) => Promise<Response>) =>
        (await (
          await f(new Request('http://x/budget/mau?month=2016-08', { headers: { 'x-api-key': KEY } }))
        ).json()) as { release_count: number; epsilon_spent: number };
      const [seqBudget, concBudget] = [await budget(sequential), await budget(concurrent)];
      expect(concBudget.release_count).toBe(released(seqStatus));
      expect(concBudget).toEqual(seqBudget);
    } finally {
      await other.cleanup();
    }
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

  it('exposes Prometheus counters and latencies without user data, scrapeable without the data API key', async () => {
    await get('/dau/2016-08-03');
    await get('/dau/2016-08-03');
    await post('/erase', JSON.stringify({ user_id: 'erin-raw-id' }));
    await post('/event', JSON.stringify({ event: { user_id: 'frank-raw-id', op: '+', day: '2016-08-05' } }));
    const res = await get('/metrics', '');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('dp_http_requests_total{route="/dau/:day",status="200"} 2');
    expect(text).toContain('dp_releases_total{metric="dau",outcome="computed"} 1');
    expect(text).toContain('dp_releases_total{metric="dau",outcome="reused"} 1');
    expect(text).toContain('dp_epsilon_spent_total{metric="dau"} 0.3');
    expect(text).toContain('dp_erasures_requested_total 1');
    expect(text).toContain('dp_events_ingested_total 1');
    expect(text).toMatch(/^dp_http_request_duration_seconds_count\{route="\/dau\/:day"\} 2$/m);
    expect(text).not.toMatch(/2016-08-0[35]|erin|frank|raw-id|estimate/);
    // Every sample is a counter or a latency: `name{route/metric/outcome/status labels} number`.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(
        /^dp_[a-z_]+(\{(route|metric|outcome|status)="[^"]*"(,(route|metric|outcome|status)="[^"]*")*\})? [\d.e+-]+$/,
      );
    }
  });

  it('puts /metrics behind its own bearer token when one is configured, never behind the data key', async () => {
    const guarded = conformingFetch(
      createApp({ version: '1', lake, config, apiKeys: [KEY], metricsToken: 'scrape-token', charts: false }),
    );
    const scrape = (headers: Record<string, string>) => guarded(new Request('http://x/metrics', { headers }));
    const denied = await scrape({ 'x-api-key': KEY });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({
      error: 'unauthorized',
      hint: expect.stringMatching(/DP_METRICS_TOKEN/),
    });
    expect((await scrape({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer scrape-token' })).status).toBe(200);
  });
});
