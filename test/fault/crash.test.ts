import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_POINTS } from '../../src/lake/crash-points.js';
import type { LakeOutcome } from '../helpers/lake-state.js';
import { startCli } from '../helpers/cli-process.js';
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
} from './harness.js';

// kill -9 a run, then run again: the lake must equal a clean run's, with nothing left behind.
const RANDOM_KILLS = 20;

let root: string;
let reference: LakeOutcome;
let cleanMs: number;
beforeAll(async () => {
  root = await faultRoot();
  const trial = await newTrial(root, 'reference');
  ({ outcome: reference, ms: cleanMs } = await cleanReference(trial));
  expect(reference.silver.length).toBe(6_734);
  expect(reference.releases).toHaveLength(4);
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('a run killed with SIGKILL, then run again', () => {
  it(`recovers exactly from kills at ${RANDOM_KILLS} random moments of a run`, async () => {
    const scenario = new Scenario('kill -9 at a random moment, run again');
    // One moment in each of RANDOM_KILLS strata of a clean run's duration. A run that finishes
    // before its moment (runs vary with the machine's load) is checked too, and its stratum is
    // tried again at 0.7× the moment, so RANDOM_KILLS kills land mid-run.
    const moments = stratifiedMoments('fault-kill-v1', RANDOM_KILLS, cleanMs);
    let killed = 0;
    let trials = 0;
    let scale = 1;
    while (killed < RANDOM_KILLS && trials < RANDOM_KILLS + 15) {
      const ms = Math.round(moments[killed]! * scale);
      const trial = await newTrial(root, `kill-${trials++}`);
      const run = startCli(['run', '--lake', trial.lake], trial.env);
      await sleep(ms);
      run.child.kill('SIGKILL');
      const first = await run.done;
      const wasKilled = first.signal === 'SIGKILL';
      const again = await cli(trial, ['run', '--lake', trial.lake]);
      const problems = [
        ...(wasKilled ? [] : exitProblems('run (finished before the kill)', first, [0])),
        ...exitProblems('next run', again, [0]),
        ...(await outcomeProblems(trial, reference)),
      ];
      scenario.record(`kill at ${ms} ms${wasKilled ? '' : ' (run had finished)'}`, problems);
      if (problems.length === 0) await removeTrial(trial);
      if (wasKilled) {
        killed++;
        scale = 1;
      } else {
        scale *= 0.7;
      }
    }
    const failures = await scenario.finish(`${killed} killed mid-run, moments over 0–${cleanMs} ms`);
    expect(failures).toEqual([]);
    expect(killed).toBe(RANDOM_KILLS);
  });

  it('recovers exactly from a kill at each commit step', async () => {
    const scenario = new Scenario('kill -9 at each commit step, run again');
    for (const point of CRASH_POINTS) {
      const trial = await newTrial(root, `crash-${point}`);
      const first = await cli(trial, ['run', '--lake', trial.lake], { DP_FAULT_CRASH_AT: point });
      const again = await cli(trial, ['run', '--lake', trial.lake]);
      const problems = [
        ...(first.signal === 'SIGKILL' ? [] : [`never reached ${point}: exit ${first.code}`]),
        ...exitProblems('next run', again, [0]),
        ...(await outcomeProblems(trial, reference)),
      ];
      scenario.record(point, problems);
      if (problems.length === 0) await removeTrial(trial);
    }
    const failures = await scenario.finish(CRASH_POINTS.join(', '));
    expect(failures).toEqual([]);
  });
});
