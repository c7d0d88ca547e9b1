import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { createApp, serveApp } from '../../src/http/index.js';
import { errorSchema } from '../../src/http/schemas.js';
import { conformingFetch } from '../helpers/http-contract.js';

describe('http app', () => {
  it('answers /healthz with the version', async () => {
    const res = await conformingFetch(createApp({ version: '9.9.9' }))(new Request('http://x/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: '9.9.9' });
  });

  it('answers unknown routes with a one-line 404 in the flat error body', async () => {
    const res = await conformingFetch(createApp({ version: '0' }))(
      new Request('http://x/nope', { method: 'POST' }),
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: 'not_found',
      message: 'no route for POST /nope',
      hint: 'check the method and path against GET /openapi.json',
    });
  });

  it('maps typed errors to status codes and hides unexpected ones', async () => {
    const app = createApp({ version: '0' });
    app.get('/bad', () => {
      throw new UserError("day must be YYYY-MM-DD, got '2024-13-01'");
    });
    app.get('/boom', () => {
      throw new Error('secret internals');
    });
    const bad = await app.fetch(new Request('http://x/bad'));
    expect(bad.status).toBe(400);
    const badBody = errorSchema.parse(await bad.json());
    expect(badBody).toMatchObject({
      error: 'invalid_request',
      message: expect.stringContaining('2024-13-01'),
    });
    const boom = await app.fetch(new Request('http://x/boom'));
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toContain('secret');
    expect(errorSchema.parse(JSON.parse(text))).toMatchObject({
      error: 'internal',
      message: 'internal error',
    });
  });

  it('serves over node:http on 127.0.0.1', async () => {
    const server = await serveApp(createApp({ version: '1' }), { port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
