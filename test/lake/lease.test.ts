import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rebuildActivity } from '../../src/activity/index.js';
import { loadConfig } from '../../src/config/index.js';
import { flushDeletes, requestErasure } from '../../src/erasure/index.js';
import { LeaseHeldError, LeaseLostError, type LeaseOwner } from '../../src/errors.js';
import { acquireLakeLease, withLakeLease } from '../../src/lake/lease.js';
import { sweepScratchDirs } from '../../src/lake/leftovers.js';
import { scratchPrefix } from '../../src/lake/scratch.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { loadKeyRing, rotateKey } from '../../src/silver/key-ring.js';
import type { RawUserId } from '../../src/silver/pseudonym.js';
import { FsLake } from '../../src/storage/index.js';
import { grepLake } from '../helpers/grep-lake.js';
import { gaLine, tempLake } from '../helpers/lake.js';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  if (r.pid === undefined) throw new Error('could not spawn a process');
  return r.pid;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NOW = new Date('2016-01-01T00:00:00Z'); // before the data: nothing is released

let lake: FsLake;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ lake, dir, cleanup } = await tempLake()));
afterEach(() => cleanup());

describe('withLakeLease', () => {
  it('refuses a second writer at once with one line naming the holder and what to do', async () => {
    const first = await acquireLakeLease(lake, { command: 'run', runId: 'run-first' });
    let ran = false;
    const err = await withLakeLease(lake, { command: 'flush-deletes', runId: 'x' }, () => {
      ran = true;
      return Promise.resolve();
    }).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(err).toBeInstanceOf(LeaseHeldError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(
      `the lake ${dir} is in use by run run-first (pid ${process.pid} on ${hostname()}, since `,
    );
    expect(message).toMatch(/wait for it to finish and try again, or pass --wait <seconds>/);
    await first.release();
  });

  it('waits for the holder up to the bound, telling the caller once, then proceeds', async () => {
    const first = await acquireLakeLease(lake, { command: 'run', runId: 'run-first' });
    setTimeout(() => void first.release(), 700);
    const waits: LeaseOwner[] = [];
    const t0 = Date.now();
    const got = await withLakeLease(
      lake,
      { command: 'run', runId: 'run-second' },
      (l) => Promise.resolve(l.owner),
      {
        waitMs: 10_000,
        onWait: (holder) => waits.push(holder),
      },
    );
    expect(got.runId).toBe('run-second');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    expect(waits.map((w) => w.runId)).toEqual(['run-first']);
  });

  it('gives up after the bound and says how long it waited', async () => {
    const first = await acquireLakeLease(lake, { command: 'run', runId: 'run-first' });
    await expect(
      withLakeLease(lake, { command: 'run', runId: 'run-second' }, () => Promise.resolve(), {
        waitMs: 1_200,
      }),
    ).rejects.toThrow(/in use by run run-first .*\(waited 1 s\)/);
    await first.release();
  });

  it('runs under a lease the caller already holds instead of taking it twice', async () => {
    await withLakeLease(lake, { command: 'run', runId: 'run-outer' }, async (lease) => {
      expect((await flushDeletes(lake, { lease })).erasures_processed).toBe(0);
      await expect(flushDeletes(lake)).rejects.toBeInstanceOf(LeaseHeldError);
    });
    expect(await lake.lease('lake').holder()).toBeUndefined();
  });

  it('keeps the lease of a slow writer alive with its heartbeat', async () => {
    const quick = new FsLake(dir, { lease: { staleAfterMs: 300, renewEveryMs: 50 } });
    await withLakeLease(quick, { command: 'run', runId: 'run-slow' }, async (lease) => {
      await sleep(1_000);
      await expect(acquireLakeLease(quick, { command: 'run', runId: 'run-b' })).rejects.toBeInstanceOf(
        LeaseHeldError,
      );
      await lease.assertHeld();
    });
  });

  it('stops a writer at its next commit step once another writer took over its lapsed lease', async () => {
    const paused = new FsLake(dir, { lease: { staleAfterMs: 200, renewEveryMs: 60_000 } });
    const a = await acquireLakeLease(paused, { command: 'run', runId: 'run-paused' });
    await sleep(300);
    const b = await acquireLakeLease(paused, { command: 'run', runId: 'run-next' });
    await expect(a.assertHeld()).rejects.toBeInstanceOf(LeaseLostError);
    expect(a.signal.aborted).toBe(true);
    await a.release(); // frees nothing: the lease is b's
    expect((await paused.lease('lake').holder())?.owner.runId).toBe('run-next');
    await b.release();
  });
});

describe('every writer holds the lease', () => {
  it('refuses run, flush-deletes, rotate-key and rebuild-activity while another writer holds the lake', async () => {
    await lake.objects('bronze').write('day.ndjson', gaLine({}) + '\n');
    const config = await loadConfig();
    const other = await acquireLakeLease(lake, { command: 'run', runId: 'run-other' });
    await expect(runPipeline({ lake, config, now: NOW })).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(flushDeletes(lake)).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(rotateKey(lake, '2017-01-01', { env: {} })).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(rebuildActivity(lake)).rejects.toBeInstanceOf(LeaseHeldError);
    const written = [];
    for await (const o of lake.objects('silver').list()) written.push(o.key);
    for await (const o of lake.objects('private').list('runs/')) written.push(o.key);
    expect(written).toEqual([]);
    await other.release();
    expect((await runPipeline({ lake, config, now: NOW })).report.totals.silver).toBe(1);
  });
});

describe('leftovers of dead processes', () => {
  it("removes dead owners' scratch dirs, keeps live ones and dirs that are not ours", async () => {
    const root = await mkdtemp(join(tmpdir(), 'sweep-root-'));
    try {
      const dead = deadPid();
      const hourAgo = new Date(Date.now() - 61 * 60_000);
      const names = {
        dead: `${scratchPrefix('pipeline', '20261206T000000Z-abcdef', dead)}Ab12Cd`,
        deadErasure: `${scratchPrefix('erasure', '20261206T000000Z-abcdef', dead)}xY34zW`,
        live: `${scratchPrefix('activity', '20261206T000000Z-abcdef')}Qq11Rr`,
        legacyOld: 'dp-pipeline-20261206T000000Z-abcdef-Zz99Yy',
        legacyFresh: 'dp-erasure-Ww88Vv',
        foreign: 'dp-azurite-Tt77Ss',
      };
      for (const name of Object.values(names)) await mkdir(join(root, name, 'stage'), { recursive: true });
      await utimes(join(root, names.legacyOld), hourAgo, hourAgo);
      expect(await sweepScratchDirs(root)).toBe(3);
      expect((await readdir(root)).sort()).toEqual([names.foreign, names.legacyFresh, names.live].sort());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("leaves no copy of an erased user's data: flush-deletes first removes dead runs' scratch dirs and temp files", async () => {
    const user = '7777000011112222333';
    await lake
      .objects('bronze')
      .write(
        'day.ndjson',
        [gaLine({ user, visit: '1470100000' }), gaLine({ user: 'stays', visit: '1470100001' })].join('\n') +
          '\n',
      );
    const config = await loadConfig();
    const { report } = await runPipeline({ lake, config, now: NOW });
    expect(report.totals.silver).toBe(2);
    const pseudonyms = Object.values((await loadKeyRing(lake)).pseudonymsOf(user as RawUserId).versions);
    // What a run killed mid-way leaves: a temp file of an interrupted write and its scratch dir.
    const dead = deadPid();
    const orphan = join(dir, 'quarantine', `r/day.ndjson.dp-tmp-${dead}-0123456789ab`);
    await mkdir(join(dir, 'quarantine', 'r'), { recursive: true });
    await writeFile(orphan, JSON.stringify({ user_pseudonym: pseudonyms[0] }) + '\n');
    const scratch = join(tmpdir(), `${scratchPrefix('pipeline', '20161231T000000Z-abcdef', dead)}Kk55Jj`);
    await mkdir(join(scratch, 'stage'), { recursive: true });
    await writeFile(join(scratch, 'stage', '0.txt'), gaLine({ user }));
    expect(await grepLake(dir, pseudonyms[0]!)).not.toEqual([]);

    await requestErasure(lake, user);
    expect(await flushDeletes(lake)).toMatchObject({ erasures_processed: 1, silver_rows_removed: 1 });
    // Only the erasure record itself keeps the pseudonyms (by design: late data is dropped on arrival).
    for (const p of pseudonyms) {
      expect((await grepLake(dir, p)).filter((f) => !f.startsWith('tables/erasures/'))).toEqual([]);
    }
    expect(await grepLake(dir, user)).toEqual([]);
    expect(await readdir(tmpdir())).not.toContain(scratch.slice(tmpdir().length + 1));
  });
});
