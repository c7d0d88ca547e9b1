import { afterAll, describe, expect, it } from 'vitest';
import { LaunchError } from '../../src/pipeline/launch/index.js';
import { readClaim, releaseClaim, scan } from '../../src/pipeline/scan/index.js';
import { CHECKPOINT_PARTITION } from '../../src/lake/index.js';
import type { Lake } from '../../src/storage/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { RecordingLauncher } from '../helpers/recording-launcher.js';

async function seed(lake: Lake, n = 3): Promise<void> {
  for (let i = 0; i < n; i++)
    await lake.objects('bronze').write(`2016/08/0${i + 1}/s.ndjson`, `{"i":${i}}\n`);
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

for (const backend of BACKENDS) {
  const fresh = async (): Promise<Lake> => {
    const { lake, cleanup } = await backend.fresh();
    cleanups.push(cleanup);
    return lake;
  };

  describe(`scan on ${backend.name}`, () => {
    it('starts nothing when Bronze holds no unprocessed blob', async () => {
      const lake = await fresh();
      const launcher = new RecordingLauncher();
      expect(await scan({ lake, launcher })).toEqual({ started: false, pending: 0, reason: 'idle' });
      await seed(lake, 1);
      const [blob] = await collect(lake.objects('bronze').list());
      await lake.tables('checkpoints').upsert({
        partitionKey: CHECKPOINT_PARTITION,
        rowKey: blob!.key,
        etag: blob!.etag,
        run_id: '20160901T000000Z-abcdef',
        status: 'processed',
        processed_at: '2016-09-01T00:00:00.000Z',
      });
      expect(await scan({ lake, launcher })).toMatchObject({ started: false, reason: 'idle' });
      await lake.objects('bronze').write(blob!.key, '{"i":"re-uploaded"}\n'); // new ETag: pending again
      expect(await scan({ lake, launcher })).toMatchObject({ started: true, pending: 1 });
      expect(launcher.started).toHaveLength(1);
    });

    it('two overlapping scans start exactly one job, in each of 20 trials', async () => {
      const startsPerTrial: number[] = [];
      const losers: string[] = [];
      for (let trial = 0; trial < 20; trial++) {
        const lake = await fresh();
        await seed(lake);
        const launcher = new RecordingLauncher();
        const results = await Promise.all([scan({ lake, launcher }), scan({ lake, launcher })]);
        startsPerTrial.push(launcher.started.length);
        for (const r of results) if (!r.started) losers.push(r.reason);
        expect(results.filter((r) => r.started)).toHaveLength(1);
      }
      expect(startsPerTrial).toEqual(Array(20).fill(1));
      expect(losers).toHaveLength(20);
      expect(losers.every((r) => r === 'busy' || r === 'lost_race')).toBe(true);
    });

    it('leaves the blobs pending when the launch fails, so the next scan starts the job', async () => {
      const lake = await fresh();
      await seed(lake);
      await expect(scan({ lake, launcher: new RecordingLauncher('fail') })).rejects.toBeInstanceOf(
        LaunchError,
      );
      expect((await readClaim(lake))?.entity).toMatchObject({
        state: 'released',
        release_reason: 'launch failed',
      });
      const launcher = new RecordingLauncher();
      expect(await scan({ lake, launcher })).toMatchObject({ started: true, pending: 3 });
      expect(launcher.started).toHaveLength(1);
    });

    it('is busy while a claim holds, starts again once it is released or expired', async () => {
      const lake = await fresh();
      await seed(lake);
      const launcher = new RecordingLauncher();
      const t0 = new Date('2026-01-01T00:00:00Z');
      const first = await scan({ lake, launcher, now: t0, claimTtlMs: 3_600_000 });
      expect(first).toMatchObject({ started: true });
      const claim = await readClaim(lake);
      expect(claim?.entity).toMatchObject({ state: 'claimed', execution: 'exec-1', blobs: 3 });
      const manifest = JSON.parse(
        (await lake.objects('private').read(claim!.entity.manifest)).toString(),
      ) as {
        blobs: unknown[];
      };
      expect(manifest.blobs).toHaveLength(3);
      // the job never ran: busy until the claim expires, then a new job
      expect(await scan({ lake, launcher, now: new Date(t0.getTime() + 3_599_000) })).toMatchObject({
        started: false,
        reason: 'busy',
      });
      expect(await scan({ lake, launcher, now: new Date(t0.getTime() + 3_601_000) })).toMatchObject({
        started: true,
      });
      // a run that finishes releases its claim; a stale release of the old claim changes nothing
      const second = await readClaim(lake);
      expect(await releaseClaim(lake, claim!.entity.claim_id, 'run finished')).toBe(false);
      expect(await releaseClaim(lake, second!.entity.claim_id, 'run finished')).toBe(true);
      expect(await scan({ lake, launcher, now: new Date(t0.getTime() + 3_602_000) })).toMatchObject({
        started: true,
      });
      expect(launcher.started).toHaveLength(3);
    });
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
