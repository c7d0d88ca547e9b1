import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliResult } from '../helpers/cli-process.js';
import { copySampleDays, lakeOutcome, type LakeOutcome } from '../helpers/lake-state.js';
import {
  cleanReference,
  cli,
  exitProblems,
  faultRoot,
  newTrial,
  outcomeProblems,
  removeTrial,
  Scenario,
  stratifiedMoments,
  type Trial,
} from './harness.js';

// Writers started together or staggered: no duplicate, no loss, no stack trace. The loser exits
// with the lease code (4) or, with --wait, waits.
const TOGETHER = 10;
const STAGGERED = 10;
const WITH_FLUSH = 6;
const WITH_SCAN = 6;

let root: string;
let reference: LakeOutcome;
beforeAll(async () => {
  root = await faultRoot();
  reference = (await cleanReference(await newTrial(root, 'reference'))).outcome;
  expect(reference.silver.length).toBe(6_734);
});
afterAll(() => rm(root, { recursive: true, force: true }));

const run = (trial: Trial, extra: string[] = []) =>
  startCli(['run', '--lake', trial.lake, ...extra], trial.env);

/** Starts `b` `delayMs` after `a`, and waits for both. */
async function pair(
  a: () => ReturnType<typeof startCli>,
  b: () => ReturnType<typeof startCli>,
  delayMs: number,
): Promise<[CliResult, CliResult]> {
  const first = a();
  if (delayMs > 0) await sleep(delayMs);
  const second = b();
  return Promise.all([first.done, second.done]);
}

const refusals = (...results: CliResult[]) => results.filter((r) => r.code === 4).length;

describe('two runs at once', () => {
  it(`keeps Silver exact when ${TOGETHER} pairs of runs start together`, async () => {
    const scenario = new Scenario('run ‖ run, started together');
    let refused = 0;
    for (let i = 0; i < TOGETHER; i++) {
      const trial = await newTrial(root, `together-${i}`);
      const [a, b] = await pair(
        () => run(trial),
        () => run(trial),
        0,
      );
      refused += refusals(a, b);
      const problems = [
        ...exitProblems('run a', a, [0, 4]),
        ...exitProblems('run b', b, [0, 4]),
        ...(a.code !== 0 && b.code !== 0 ? ['neither run completed'] : []),
        ...(await outcomeProblems(trial, reference)),
      ];
      scenario.record(`together ${i}`, problems);
      if (problems.length === 0) await removeTrial(trial);
    }
    const failures = await scenario.finish(`${refused} refused with exit 4`);
    expect(failures).toEqual([]);
  });

  it(`keeps Silver exact when ${STAGGERED} pairs of runs start 0–3 s apart, half of them with --wait`, async () => {
    const scenario = new Scenario('run ‖ run, staggered 0–3 s');
    const delays = stratifiedMoments('fault-stagger-v1', STAGGERED, 3_000);
    let refused = 0;
    let waited = 0;
    for (const [i, delay] of delays.entries()) {
      const trial = await newTrial(root, `stagger-${i}`);
      const wait = i % 2 === 1;
      const [a, b] = await pair(
        () => run(trial),
        () => run(trial, wait ? ['--wait', '120'] : []),
        delay,
      );
      refused += refusals(a, b);
      if (/waiting up to/.test(b.stderr)) waited++;
      const problems = [
        ...exitProblems('run a', a, [0, 4]),
        ...exitProblems(wait ? 'run b --wait' : 'run b', b, wait ? [0] : [0, 4]),
        ...(a.code !== 0 && b.code !== 0 ? ['neither run completed'] : []),
        ...(await outcomeProblems(trial, reference)),
      ];
      scenario.record(`stagger ${delay} ms${wait ? ' --wait' : ''}`, problems);
      if (problems.length === 0) await removeTrial(trial);
    }
    const failures = await scenario.finish(`${refused} refused with exit 4, ${waited} waited`);
    expect(failures).toEqual([]);
  });
});

/** A user of day 1 who comes back on day 4 (so a late line of theirs arrives after the erasure). */
async function returningUser(): Promise<string> {
  const ids = async (day: string): Promise<string[]> => {
    const dir = `examples/ga360/bronze/2016/08/${day}`;
    const [file] = await readdir(dir);
    return gunzipSync(await readFile(join(dir, file!)))
      .toString('utf8')
      .split('\n')
      .flatMap((l) => /"fullVisitorId":"(\d+)"/.exec(l)?.[1] ?? []);
  };
  const later = new Set(await ids('04'));
  const user = (await ids('01')).find((id) => later.has(id));
  if (!user) throw new Error('no user of 2016-08-01 returns on 2016-08-04');
  return user;
}

describe('a run beside flush-deletes and beside a scan', () => {
  it(`keeps Silver exact and the user erased when a run and flush-deletes overlap (${WITH_FLUSH} trials)`, async () => {
    // Before: three days processed, an erasure requested, a fourth day uploaded.
    const template = await newTrial(root, 'flush-template');
    expect((await cli(template, ['run', '--lake', template.lake])).code).toBe(0);
    const user = await returningUser();
    expect((await cli(template, ['erase', '--user', user, '--lake', template.lake])).code).toBe(0);
    await copySampleDays(template.lake, ['04']);
    const expected = await newTrial(root, 'flush-expected', template.lake);
    expect((await cli(expected, ['run', '--lake', expected.lake])).code).toBe(0);
    const after = await lakeOutcome(expected.lake);
    expect(after.silver.length).toBeGreaterThan(reference.silver.length);

    const scenario = new Scenario('run ‖ flush-deletes, 0–1.5 s apart');
    const delays = stratifiedMoments('fault-flush-v1', WITH_FLUSH, 1_500);
    let refused = 0;
    for (const [i, delay] of delays.entries()) {
      const trial = await newTrial(root, `flush-${i}`, template.lake);
      const flush = () => startCli(['flush-deletes', '--lake', trial.lake], trial.env);
      const [a, b] =
        i % 2 === 0 ? await pair(() => run(trial), flush, delay) : await pair(flush, () => run(trial), delay);
      refused += refusals(a, b);
      // A run refused leaves its blobs pending: the next run processes them.
      const settle = await cli(trial, ['run', '--lake', trial.lake]);
      const problems = [
        ...exitProblems('first', a, [0, 4]),
        ...exitProblems('second', b, [0, 4]),
        ...exitProblems('next run', settle, [0]),
        ...(await outcomeProblems(trial, after)),
      ];
      scenario.record(`${i % 2 === 0 ? 'run, then flush' : 'flush, then run'} ${delay} ms later`, problems);
      if (problems.length === 0) await removeTrial(trial);
    }
    const failures = await scenario.finish(`${refused} refused with exit 4`);
    expect(failures).toEqual([]);
  });

  it(`keeps Silver exact when a run and a scan with the local launcher overlap (${WITH_SCAN} trials)`, async () => {
    const scenario = new Scenario('run ‖ scan (local job), 0–1.5 s apart');
    const delays = stratifiedMoments('fault-scan-v1', WITH_SCAN, 1_500);
    let refused = 0;
    for (const [i, delay] of delays.entries()) {
      const trial = await newTrial(root, `scan-${i}`);
      const scan = () => startCli(['scan', '--lake', trial.lake], { ...trial.env, DP_LAUNCHER: 'local' });
      const [a, b] =
        i % 2 === 0 ? await pair(() => run(trial), scan, delay) : await pair(scan, () => run(trial), delay);
      const [runResult, scanResult] = i % 2 === 0 ? [a, b] : [b, a];
      refused += refusals(a, b);
      const settle = await cli(trial, ['run', '--lake', trial.lake]);
      const problems = [
        ...exitProblems('run', runResult, [0, 4]),
        ...exitProblems('scan', scanResult, [0]),
        ...exitProblems('next run', settle, [0]),
        ...(await outcomeProblems(trial, reference)),
      ];
      scenario.record(`${i % 2 === 0 ? 'run, then scan' : 'scan, then run'} ${delay} ms later`, problems);
      if (problems.length === 0) await removeTrial(trial);
    }
    const failures = await scenario.finish(`${refused} refused with exit 4`);
    expect(failures).toEqual([]);
  });
});
