import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run bench` measures the pipeline and the plain baseline in separate worker processes;
 * this runs both workers on the embedded sample so the benchmark cannot rot unnoticed (it needs
 * `npm run build` first, as the test script does). Timings are not asserted: only that each
 * worker does its whole job and reports it.
 */
const WORKER = resolve('dist/bench/worker.js');
const SAMPLE = resolve('examples/ga360/bronze');

function worker(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [WORKER, ...args], { encoding: 'utf8', timeout: 5 * 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('bench workers on the embedded sample', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'dp-bench-test-'));
    await mkdir(join(work, 'lake', 'bronze'), { recursive: true });
    await cp(SAMPLE, join(work, 'lake', 'bronze', 'sample'), { recursive: true });
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('runs the pipeline and the baseline and reports phases and peak RSS', () => {
    const ours = worker(['pipeline', join(work, 'lake')]);
    expect(ours.records).toBeGreaterThan(0);
    expect(ours.silver).toBeGreaterThan(0);
    expect(ours.releases).toBeGreaterThan(0);
    expect(ours.maxRssMiB).toBeGreaterThan(0);
    expect(ours.phases).toHaveProperty('bronze_to_silver');
    expect(ours.phases).toHaveProperty('silver_to_gold');

    const base = worker(['baseline', `${SAMPLE}/**/*.ndjson.gz`, join(work, 'baseline')]);
    expect(base.rows).toBe(ours.records);
    expect(base.groups).toBeGreaterThan(0);
    expect(base.phases).toHaveProperty('bronze_to_silver');
    expect(base.phases).toHaveProperty('silver_to_gold');
  });
});
