import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Release } from '../../src/gold/release.js';
import { goldJsonSchemas, indexSchema, releaseSchema } from '../../src/gold/schema.js';
import { sampleRelease } from '../helpers/release.js';

const SCHEMAS = join(import.meta.dirname, '../../schemas');

const release: Release = sampleRelease();

// Compile-time: every value of the TypeScript `Release` type is a valid input of the schema.
const asInput: z.input<typeof releaseSchema> = release;

describe('Gold contract schemas', () => {
  it('publishes schemas/*.schema.json exactly as generated from the zod definitions', async () => {
    // DP_UPDATE_SCHEMAS=1 npx vitest run test/unit/gold-schema.test.ts regenerates them.
    for (const [file, schema] of Object.entries(goldJsonSchemas())) {
      const text = JSON.stringify(schema, null, 2) + '\n';
      if (process.env.DP_UPDATE_SCHEMAS === '1') await writeFile(join(SCHEMAS, file), text);
      expect(await readFile(join(SCHEMAS, file), 'utf8'), `${file} is stale`).toBe(text);
    }
  });

  it('accepts a release and fields added by later versions of the engine', () => {
    expect(releaseSchema.safeParse(asInput).success).toBe(true);
    const gaussian = {
      ...release,
      statistic: 'privacy_id_count',
      privacy: { ...release.privacy, delta: 1e-6, mechanism: 'discrete_gaussian', rho: 0.1 },
      partition_selection: { method: 'truncated_geometric', threshold: 20 },
    };
    expect(releaseSchema.safeParse(gaussian).success).toBe(true);
  });

  it.each([
    ['a missing interval', { partitions: [{ key: 'Americas', value: 3 }] }],
    ['another schema version', { schema: 'dp-pipeline/release@2' }],
    ['row-level privacy', { privacy_unit: 'row' }],
    ['a window that is not a date', { window: { start: '2016-08', end: '2016-08-31' } }],
    ['a non-positive ε', { privacy: { ...release.privacy, epsilon: 0 } }],
  ])('rejects a release with %s', (_what, change) => {
    expect(releaseSchema.safeParse({ ...release, ...change }).success).toBe(false);
  });

  it('requires index links to stay inside gold/', () => {
    const entry = {
      analysis: 'a',
      statistic: 'count',
      description: 'd',
      window: release.window,
      epsilon: 1,
      delta: 0,
      partitions: 1,
      created_at: release.created_at,
      json: 'releases/a/2016-08.json',
      svg: 'releases/a/2016-08.svg',
      png: 'releases/a/2016-08.png',
    };
    const index = {
      schema: 'dp-pipeline/index@1',
      generated_at: release.created_at,
      report: 'report.html',
      releases: [entry],
    };
    expect(indexSchema.safeParse(index).success).toBe(true);
    for (const bad of ['../private/runs/x.json', '/etc/passwd', 'releases/../../x']) {
      expect(indexSchema.safeParse({ ...index, releases: [{ ...entry, json: bad }] }).success).toBe(false);
    }
  });
});
