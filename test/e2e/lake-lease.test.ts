import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasStackTrace, runCliAsync, startCli, waitUntilStopped } from '../helpers/cli-process.js';
import { copySampleDays, FIXED_KEY_ENV, lakeOutcome, leftovers } from '../helpers/lake-state.js';

// Needs the built CLI (`npm run build`, which `npm test` runs first). Three days of the shipped
// sample: 6,741 records, 6,734 sessions after deduplication.
const DAYS = ['01', '02', '03'];
const SESSIONS = 6_734;

let root: string;
let lake: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dp-lease-e2e-'));
  lake = join(root, 'lake');
  await mkdir(join(root, 'tmp'));
  await copySampleDays(lake, DAYS);
  env = { ...FIXED_KEY_ENV, TMPDIR: join(root, 'tmp') }; // the runs' scratch dirs land here
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function expectCompleteAndClean(): Promise<void> {
  const outcome = await lakeOutcome(lake);
  expect(outcome.silver).toHaveLength(SESSIONS);
  expect(new Set(outcome.silver).size).toBe(SESSIONS);
  expect(outcome.checkpoints).toBe(DAYS.length);
  expect(outcome.releases).toHaveLength(4);
  expect(await leftovers(lake, join(root, 'tmp'))).toEqual({ lakeFiles: [], scratchDirs: [] });
}

describe('one writer at a time on a local lake', () => {
  it('refuses a run started while another is between its Silver upload and its commit; nothing is lost', async () => {
    // Run A stops itself right after uploading its Silver files, before its report commits them:
    // the moment when, without the lease, B's recovery deleted A's Silver and A then committed
    // an empty Silver (every blob checkpointed, ε charged, later runs doing nothing).
    const a = startCli(['run', '--lake', lake], { ...env, DP_FAULT_CRASH_AT: 'after-silver-upload:stop' });
    await waitUntilStopped(a.pid, a.done);
    const silverOfA = (await lakeOutcome(lake)).silver.length;
    expect(silverOfA).toBe(SESSIONS);

    const b = await runCliAsync(['run', '--lake', lake], env);
    expect(b.code).toBe(4);
    expect(b.stdout).toBe('');
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toMatch(
      new RegExp(
        `^dp-pipeline: the lake ${lake} is in use by run \\S+ \\(pid ${a.pid} on \\S+, since \\S+\\); wait for it`,
      ),
    );
    expect(hasStackTrace(b.stderr)).toBe(false);
    expect((await lakeOutcome(lake)).silver).toHaveLength(SESSIONS); // B deleted nothing

    a.child.kill('SIGCONT');
    const resumed = await a.done;
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/silver rows\s+6,734/);
    await expectCompleteAndClean();
    const again = await runCliAsync(['run', '--lake', lake], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\(0 new Bronze blobs\)/);
    await expectCompleteAndClean();
  });

  it('lets a run with --wait wait for the one in progress, then find nothing left to do', async () => {
    const a = startCli(['run', '--lake', lake], { ...env, DP_FAULT_CRASH_AT: 'after-silver-upload:stop' });
    await waitUntilStopped(a.pid, a.done);
    const b = startCli(['run', '--lake', lake, '--wait', '60'], env);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(b.child.exitCode).toBeNull(); // still waiting
    a.child.kill('SIGCONT');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);
    expect(rb.stderr).toMatch(
      /^dp-pipeline: the lake is in use by run \S+ \(pid \d+ on .*\); waiting up to 60 s$/m,
    );
    expect(rb.stdout).toMatch(/\(0 new Bronze blobs\)/);
    await expectCompleteAndClean();
  });

  it('after kill -9, the next run starts at once and removes the scratch dir and temp files left behind', async () => {
    const a = startCli(['run', '--lake', lake], { ...env, DP_FAULT_CRASH_AT: 'after-silver-upload' });
    expect((await a.done).signal).toBe('SIGKILL');
    const left = await leftovers(lake, join(root, 'tmp'));
    expect(left.scratchDirs).toHaveLength(1); // staged Bronze lines with raw ids
    expect(left.scratchDirs[0]).toMatch(new RegExp(`^dp-pipeline-\\S+-p${a.pid}-`));
    expect(left.lakeFiles).toEqual([expect.stringMatching(/^leases\/lake\/\d+\.json \(held\)$/)]);

    const b = await runCliAsync(['run', '--lake', lake], env);
    expect(b.code).toBe(0);
    expect(b.ms).toBeLessThan(25_000); // no 30 s stall on the dead run's lease or locks
    expect(b.stdout).toMatch(/silver rows\s+6,734/);
    await expectCompleteAndClean();
  });

  it('removes its scratch dir when interrupted (SIGTERM)', async () => {
    const a = startCli(['run', '--lake', lake], { ...env, DP_FAULT_CRASH_AT: 'after-silver-upload:stop' });
    await waitUntilStopped(a.pid, a.done);
    expect(await readdir(join(root, 'tmp'))).toHaveLength(1);
    a.child.kill('SIGTERM');
    a.child.kill('SIGCONT');
    expect((await a.done).code).toBe(143);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    const b = await runCliAsync(['run', '--lake', lake], env);
    expect(b.code).toBe(0);
    await expectCompleteAndClean();
  });
});

describe('scan --lake with the local launcher', () => {
  it('starts the job on the lake the scan was given, not on ./lake', async () => {
    const cwd = join(root, 'elsewhere');
    await mkdir(cwd);
    const r = await startCli(['scan', '--lake', lake], { ...env, DP_LAUNCHER: 'local' }, { cwd }).done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^scan: 3 pending blob\(s\); started job local-\d+/);
    await expectCompleteAndClean();
    expect(await readdir(cwd)).toEqual([]);
  });
});
