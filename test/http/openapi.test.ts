import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { createApp } from '../../src/http/index.js';
import { checkResponse, openApiDocument, ROUTES } from '../../src/http/openapi.js';
import { tempLake } from '../helpers/lake.js';

const FILE = join(import.meta.dirname, '../../schemas/openapi.json');
// The committed document carries a fixed version so it does not change with every release.
const DOC_VERSION = 'see /openapi.json';

describe('OpenAPI document', () => {
  it('publishes schemas/openapi.json exactly as generated from the zod schemas', async () => {
    // DP_UPDATE_SCHEMAS=1 npx vitest run test/http/openapi.test.ts regenerates it.
    const text = JSON.stringify(openApiDocument(DOC_VERSION), null, 2) + '\n';
    if (process.env.DP_UPDATE_SCHEMAS === '1') await writeFile(FILE, text);
    expect(await readFile(FILE, 'utf8'), 'schemas/openapi.json is stale').toBe(text);
  });

  it('documents every route the app serves, in OpenAPI 3.1', async () => {
    const { lake, cleanup } = await tempLake();
    try {
      const app = createApp({
        version: '1',
        lake,
        config: parseConfig(DEFAULT_CONFIG_INPUT),
        apiKeys: ['k'],
      });
      const served = app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${r.path}`)
        .sort();
      expect(served).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
      const doc = openApiDocument('1') as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths).sort()).toEqual([
        '/budget/{metric}',
        '/dau/{day}',
        '/erase',
        '/event',
        '/healthz',
        '/mau',
        '/metrics',
        '/openapi.json',
      ]);
    } finally {
      await cleanup();
    }
  });

  it('serves /openapi.json without an API key, with the product version', async () => {
    const { lake, cleanup } = await tempLake();
    try {
      const app = createApp({
        version: '7.7.7',
        lake,
        config: parseConfig(DEFAULT_CONFIG_INPUT),
        apiKeys: ['k'],
      });
      const res = await app.fetch(new Request('http://x/openapi.json'));
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { info: { version: string }; paths: Record<string, unknown> };
      expect(doc.info.version).toBe('7.7.7');
      expect(doc.paths).toEqual((openApiDocument('7.7.7') as { paths: unknown }).paths);
    } finally {
      await cleanup();
    }
  });

  it('never documents a raw count in an answer', async () => {
    const text = await readFile(FILE, 'utf8');
    expect(text).not.toMatch(/exact_value|raw_count|"count"/);
  });

  it('rejects answers that break the documented shape', () => {
    expect(checkResponse('GET', '/healthz', 200, { status: 'ok', version: '1' })).toBeUndefined();
    expect(checkResponse('GET', '/healthz', 200, { status: 'ok' })).toMatch(/version/);
    expect(checkResponse('GET', '/healthz', 418, {})).toMatch(/not documented/);
    expect(
      checkResponse('GET', '/dau/:day', 401, { error: { code: 'UNAUTHORIZED', message: 'no key' } }),
    ).toBeDefined();
    expect(
      checkResponse('GET', '/dau/:day', 401, { error: 'unauthorized', message: 'no key', hint: 'send one' }),
    ).toBeUndefined();
  });
});
