import { HttpRequest, InvocationContext, type EventGridEvent, type Timer } from '@azure/functions';
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { NO_API_KEYS_WARNING, UNRESOLVED_API_KEYS_WARNING } from '../../functions/deps.js';
import { buildHttpApp, handleHttp } from '../../functions/http.js';
import { DEFAULT_SCAN_SCHEDULE, scanOnBlobCreated, scanOnTimer } from '../../functions/scan.js';
import { AzureLake } from '../../src/storage/azure/index.js';
import { RecordingLauncher } from '../helpers/recording-launcher.js';

function context(name: string): { ctx: InvocationContext; logs: string[] } {
  const logs: string[] = [];
  const ctx = new InvocationContext({
    invocationId: randomBytes(8).toString('hex'),
    functionName: name,
    logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
  });
  return { ctx, logs };
}

const freshLake = (): AzureLake =>
  AzureLake.fromConnectionString(inject('azuriteConn'), {
    namePrefix: `t${randomBytes(5).toString('hex')}-`,
  });

describe('HTTP function (catch-all over the Hono app)', () => {
  it('serves /healthz of the real app at the API path (no /api prefix)', async () => {
    const res = await handleHttp(
      new HttpRequest({ method: 'GET', url: 'https://fn.example/healthz' }),
      context('api').ctx,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(Buffer.from(res.body as Uint8Array).toString('utf8'))).toEqual({
      status: 'ok',
      version: '0.1.0',
    });
    expect((res.headers as Headers).get('content-type')).toMatch(/application\/json/);
    const missing = await handleHttp(
      new HttpRequest({ method: 'GET', url: 'https://fn.example/nope' }),
      context('api').ctx,
    );
    expect(missing.status).toBe(404);
  });

  it('passes method, query, headers and body through and the status and headers back', async () => {
    const echo = new Hono().post('/echo', async (c) =>
      c.json(
        { q: c.req.query('x'), key: c.req.header('x-api-key'), body: await c.req.json<unknown>() },
        202,
        { 'x-echo': 'yes' },
      ),
    );
    const req = new HttpRequest({
      method: 'POST',
      url: 'https://fn.example/echo?x=1',
      headers: { 'x-api-key': 'k1', 'content-type': 'application/json' },
      body: { string: '{"events":[{"op":"+"}]}' },
    });
    const res = await handleHttp(req, context('api').ctx, echo);
    expect(res.status).toBe(202);
    expect((res.headers as Headers).get('x-echo')).toBe('yes');
    expect(JSON.parse(Buffer.from(res.body as Uint8Array).toString('utf8'))).toEqual({
      q: '1',
      key: 'k1',
      body: { events: [{ op: '+' }] },
    });
  });
});

/** A warn-level logger whose lines land in `lines` (parsed JSON). */
function capturingLogger(): { log: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

const get = (path: string, key?: string): HttpRequest =>
  new HttpRequest({
    method: 'GET',
    url: `https://fn.example${path}`,
    ...(key !== undefined ? { headers: { 'x-api-key': key } } : {}),
  });

const json = (res: {
  body?: unknown;
}): { error?: string; message?: string; hint?: string } & Record<string, unknown> =>
  JSON.parse(Buffer.from(res.body as Uint8Array).toString('utf8'));

// These build the lake as the Function does (`lakeFromEnv`), so they use the real container and
// table names on the run's shared Azurite; every other test there uses a random name prefix.
describe('HTTP function built from the environment (DP_STORAGE_*, DP_API_KEYS, DP_CONFIG)', () => {
  it('with DP_API_KEYS: data routes need a key; with one, a closed day is released and re-served', async () => {
    const { log, lines } = capturingLogger();
    const env = { DP_STORAGE_CONNECTION_STRING: inject('azuriteConn'), DP_API_KEYS: ' k-one , ,k-two,' };
    const api = buildHttpApp(env, log);
    const { ctx } = context('api');

    const anonymous = await handleHttp(get('/dau/2016-08-01'), ctx, api);
    expect(anonymous.status).toBe(401);
    expect(json(anonymous).error).toBe('unauthorized');
    expect((await handleHttp(get('/dau/2016-08-01', 'k-three'), ctx, api)).status).toBe(401);
    expect((await handleHttp(get('/healthz'), ctx, api)).status).toBe(200);

    // A day that is not closed yet: a clear 400, nothing spent.
    const open = await handleHttp(get('/dau/2999-01-01', 'k-one'), ctx, api);
    expect(open.status).toBe(400);
    expect(json(open).message).toMatch(/^day 2999-01-01 is not closed yet/);

    // Both trimmed keys work; the second call re-serves the stored release.
    const first = await handleHttp(get('/dau/2016-08-01', 'k-two'), ctx, api);
    expect(first.status, JSON.stringify(json(first))).toBe(200);
    const body = json(first);
    expect(body).toMatchObject({ day: '2016-08-01', reused: false });
    expect(typeof body.estimate).toBe('number');
    const again = json(await handleHttp(get('/dau/2016-08-01', 'k-one'), ctx, api));
    expect(again).toMatchObject({ reused: true, estimate: body.estimate, epsilon_used: body.epsilon_used });
    expect(lines).toEqual([]);
  });

  it('with DP_METRICS_TOKEN: /metrics needs that bearer token, not a data key', async () => {
    const env = {
      DP_STORAGE_CONNECTION_STRING: inject('azuriteConn'),
      DP_API_KEYS: 'k-one',
      DP_METRICS_TOKEN: ' scrape ',
    };
    const api = buildHttpApp(env, capturingLogger().log);
    const { ctx } = context('api');
    expect((await handleHttp(get('/metrics', 'k-one'), ctx, api)).status).toBe(401);
    const scrape = new HttpRequest({
      method: 'GET',
      url: 'http://localhost/metrics',
      headers: { authorization: 'Bearer scrape' },
    });
    expect((await handleHttp(scrape, ctx, api)).status).toBe(200);
  });

  it('without DP_API_KEYS: only /healthz and /metrics, and one warning', async () => {
    for (const keys of [undefined, '', ' , ']) {
      const { log, lines } = capturingLogger();
      const env = {
        DP_STORAGE_CONNECTION_STRING: inject('azuriteConn'),
        ...(keys !== undefined ? { DP_API_KEYS: keys } : {}),
      };
      const api = buildHttpApp(env, log);
      const { ctx } = context('api');
      expect((await handleHttp(get('/healthz'), ctx, api)).status).toBe(200);
      expect((await handleHttp(get('/metrics'), ctx, api)).status).toBe(200);
      for (const path of ['/dau/2016-08-01', '/mau?end=2016-08-31', '/budget/dau']) {
        const res = await handleHttp(get(path, 'anything'), ctx, api);
        expect(res.status).toBe(404);
        expect(json(res).error).toBe('not_found');
      }
      expect(lines.map((l) => [l.level, l.msg])).toEqual([[40, NO_API_KEYS_WARNING]]);
    }
  });

  it('an unresolved Key Vault reference in DP_API_KEYS is never a key: no data routes', async () => {
    const reference = '@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/api-keys)';
    const { log, lines } = capturingLogger();
    const env = { DP_STORAGE_CONNECTION_STRING: inject('azuriteConn'), DP_API_KEYS: reference };
    const api = buildHttpApp(env, log);
    const { ctx } = context('api');
    expect((await handleHttp(get('/dau/2016-08-01', reference), ctx, api)).status).toBe(404);
    expect((await handleHttp(get('/healthz'), ctx, api)).status).toBe(200);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[40, UNRESOLVED_API_KEYS_WARNING]]);
  });

  it('a bad DP_CONFIG answers 500 without details and logs the reason', async () => {
    const env = {
      DP_STORAGE_CONNECTION_STRING: inject('azuriteConn'),
      DP_API_KEYS: 'k',
      DP_CONFIG: '/nonexistent/analyses.json',
    };
    const { ctx, logs } = context('api');
    const res = await handleHttp(get('/healthz'), ctx, buildHttpApp(env, capturingLogger().log));
    expect(res.status).toBe(500);
    expect(res.jsonBody).toEqual({
      error: 'misconfigured',
      message: 'the API is misconfigured; see the Function logs',
      hint: 'the operator has to fix the service configuration (the server log says what)',
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^http: cannot build the API from the environment: .*\/nonexistent\/analyses\.json/,
    );
  });
});

describe('scan functions', () => {
  const timer: Timer = {
    isPastDue: false,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: '', next: '', lastUpdated: '' },
  };

  it('the timer scans and starts one job, then nothing while the claim holds', async () => {
    const lake = freshLake();
    await lake.objects('bronze').write('2016/08/01/a.ndjson', '{}\n');
    const launcher = new RecordingLauncher();
    const { ctx, logs } = context('scan');
    expect(await scanOnTimer(timer, ctx, { lake, launcher })).toMatchObject({ started: true, pending: 1 });
    expect(await scanOnTimer(timer, ctx, { lake, launcher })).toMatchObject({
      started: false,
      reason: 'busy',
    });
    expect(launcher.started).toHaveLength(1);
    expect(logs[0]).toMatch(/^scan: started job exec-1 for 1 pending blob/);
    expect(DEFAULT_SCAN_SCHEDULE.split(' ')).toHaveLength(6);
  });

  it('Event Grid BlobCreated on bronze scans; other events are ignored', async () => {
    const lake = freshLake();
    await lake.objects('bronze').write('x.ndjson', '{}\n');
    const launcher = new RecordingLauncher();
    const event = (eventType: string, container: string): EventGridEvent => ({
      id: '1',
      topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a',
      subject: `/blobServices/default/containers/${container}/blobs/x.ndjson`,
      eventType,
      eventTime: new Date().toISOString(),
      dataVersion: '1',
      metadataVersion: '1',
    });
    const { ctx } = context('scanOnBlobCreated');
    expect(
      await scanOnBlobCreated(event('Microsoft.Storage.BlobCreated', 'gold'), ctx, { lake, launcher }),
    ).toBeUndefined();
    expect(
      await scanOnBlobCreated(event('Microsoft.Storage.BlobDeleted', 'bronze'), ctx, { lake, launcher }),
    ).toBeUndefined();
    expect(launcher.started).toHaveLength(0);
    expect(
      await scanOnBlobCreated(event('Microsoft.Storage.BlobCreated', 'bronze'), ctx, { lake, launcher }),
    ).toMatchObject({ started: true, pending: 1 });
  });
});
