import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/index.js';
import { ingest, pendingBlobs } from '../../src/pipeline/ingest.js';
import type { FsLake } from '../../src/storage/index.js';
import { testContext } from '../helpers/context.js';
import { tempLake } from '../helpers/lake.js';

let lake: FsLake;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ lake, dir, cleanup } = await tempLake()));
afterEach(() => cleanup());

describe('generate → ingest', () => {
  it('writes Bronze that ingests into Silver without rejections or duplicates', async () => {
    // Crosses a month boundary and the end of daylight saving time (2016-11-06), with repeat visits.
    const g = await generate({
      out: dir,
      days: 4,
      users: 3000,
      seed: 'ingest',
      startDate: '2016-11-04',
      sessionsPerUserPerMonth: 2,
    });
    expect(g.sessions).toBeGreaterThan(500);
    const { ctx, close } = await testContext(lake);
    try {
      const { todo } = await pendingBlobs(ctx);
      expect(todo.map((b) => b.key).sort()).toEqual(
        g.files.map((f) => f.slice(f.indexOf('synthetic/'))).sort(),
      );
      const result = await ingest(ctx, todo);
      const totals = result.blobs.reduce(
        (a, b) => ({
          records: a.records + b.records,
          silver: a.silver + b.silver,
          rejected: a.rejected + b.rejected,
          duplicates: a.duplicates + b.duplicates,
        }),
        { records: 0, silver: 0, rejected: 0, duplicates: 0 },
      );
      expect(totals).toEqual({ records: g.sessions, silver: g.sessions, rejected: 0, duplicates: 0 });
    } finally {
      await close();
    }
  });
});
