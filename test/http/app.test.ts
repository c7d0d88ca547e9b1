import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { createApp, serveApp } from '../../src/http/index.js';

describe('http app', () => {
  it('answers /healthz with the version', async () => {
    const res = await createApp({ version: '9.9.9' }).fetch(new Request('http://x/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: '9.9.9' });
  });

  it('answers unknown routes with a one-line 404', async () => {
    const res = await createApp({ version: '0' }).fetch(new Request('http://x/nope', { method: 'POST' }));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for POST /nope' } });
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
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('2024-13-01');
    const boom = await app.fetch(new Request('http://x/boom'));
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain('secret');
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
