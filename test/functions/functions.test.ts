import { HttpRequest, InvocationContext, type EventGridEvent, type Timer } from '@azure/functions';
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, inject, it } from 'vitest';
import { handleHttp } from '../../functions/http.js';
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
