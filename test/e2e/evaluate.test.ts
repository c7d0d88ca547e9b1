import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { evaluate, SIMULATION_LABEL, type Evaluation } from '../../src/evaluate/index.js';
import { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { checkGoldContract } from '../helpers/gold-contract.js';
import { tempLake } from '../helpers/lake.js';

let dir: string;
let cleanup: () => Promise<void>;

async function files(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(full);
    }
  };
  await walk(root);
  return out.sort();
}

/** Path → sha256 of every file under `root`. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const snap: Record<string, string> = {};
  for (const f of await files(root)) {
    snap[relative(root, f)] = createHash('sha256')
      .update(await readFile(f))
      .digest('hex');
  }
  return snap;
}

const SEED_ANALYSES = ['sessions_per_continent', 'avg_session_duration_per_device'];

describe('dp-pipeline evaluate on the shipped sample', () => {
  let goldBefore: Record<string, string>;
  let tablesBefore: Record<string, string>;
  let cli: ReturnType<typeof runCli>;
  let evaluation: Evaluation;
  let evalDir: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempLake());
    expect(runCli(['run', '--lake', dir, '--with-sample']).code).toBe(0);
    goldBefore = await snapshot(join(dir, 'gold'));
    tablesBefore = await snapshot(join(dir, 'tables'));
    cli = runCli(['evaluate', '--lake', dir, '--runs', '3', '--window', '2016-08']);
    const jsonPath = (await files(join(dir, 'private', 'evaluation'))).find((f) =>
      f.endsWith('evaluation.json'),
    )!;
    evaluation = JSON.parse(await readFile(jsonPath, 'utf8')) as Evaluation;
    evalDir = join(jsonPath, '..');
  });
  afterAll(() => cleanup());

  it('writes a labelled simulation under private/evaluation/ and says so', async () => {
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(SIMULATION_LABEL);
    expect(cli.stdout).toMatch(
      /sessions_per_continent 2016-08: median relative error [\d.]+%.*interval coverage [\d.]+%/,
    );
    expect(evaluation).toMatchObject({ label: SIMULATION_LABEL, runs: 3, windows: ['2016-08'] });
    expect(evaluation.analyses.map((a) => a.analysis).sort()).toEqual([
      'avg_session_duration_per_device',
      'pageviews_per_device',
      'sessions_per_continent',
      'sessions_per_country',
    ]);
    for (const a of evaluation.analyses) {
      if (a.analysis === 'sessions_per_country') {
        // Private partition selection: every country with sessions is evaluated; small ones are
        // lost in some runs (and counted as such), large ones are always released.
        expect(a.partitions.length).toBeGreaterThan(50);
        expect(a.partitions.some((p) => p.runs_lost_to_partition_selection > 0)).toBe(true);
        expect(a.partitions.find((p) => p.key === 'United States')?.runs_released).toBe(3);
        // The 20 largest countries: the median of their own median errors, as the CLI prints it.
        const largest = a.partitions
          .filter((p) => p.relative_error_median !== null)
          .sort((x, y) => y.raw_unbounded! - x.raw_unbounded!)
          .slice(0, 20)
          .map((p) => p.relative_error_median!)
          .sort((x, y) => x - y);
        expect(a.summary.median_relative_error_largest).toBeCloseTo((largest[9]! + largest[10]!) / 2, 12);
        expect(cli.stdout).toMatch(
          /sessions_per_country 2016-08: median relative error [\d.]+% \(20 largest: [\d.]+%\)/,
        );
      } else {
        expect(a.partitions.every((p) => p.raw_unbounded !== null && p.dp !== null)).toBe(true);
      }
      expect(a.summary.coverage).toBeGreaterThanOrEqual(0);
      const svg = await readFile(join(evalDir, a.chart.svg), 'utf8');
      expect(svg).toContain('SIMULATION');
      expect((await readFile(join(evalDir, a.chart.png))).subarray(1, 4).toString()).toBe('PNG');
    }
    const html = await readFile(join(evalDir, 'evaluation.html'), 'utf8');
    expect(html).toContain(`<title>${SIMULATION_LABEL}`);
    expect(html).toContain('Raw (unbounded)');
  });

  it('leaves Gold and the budget untouched and puts no raw value or id in Gold', async () => {
    expect(await snapshot(join(dir, 'gold'))).toEqual(goldBefore);
    expect(await snapshot(join(dir, 'tables'))).toEqual(tablesBefore);
    await checkGoldContract(join(dir, 'gold'));
    // The seed analyses' raw values only: they are large (tiny raw counts of rare countries, like
    // 1 or 2, appear in any text).
    const raw = evaluation.analyses
      .filter((a) => SEED_ANALYSES.includes(a.analysis))
      .flatMap((a) => a.partitions.flatMap((p) => (p.raw_unbounded === null ? [] : [p.raw_unbounded])));
    expect(raw.length).toBe(9);
    const goldTexts = await Promise.all(
      (await files(join(dir, 'gold')))
        // The seed analyses' own files and the index: other releases hold hundreds of small
        // noisy numbers (rare countries) that can equal a raw value by chance.
        .filter(
          (f) =>
            !f.endsWith('.png') &&
            (f.endsWith('index.json') || SEED_ANALYSES.some((a) => f.includes(`/${a}/`))),
        )
        .map((f) => readFile(f, 'utf8')),
    );
    // Raw counts are integers; raw means have decimals: a leak would put (nearly) every one of them
    // in Gold as a number. With the bounds chosen for accuracy, a noisy value (or an interval end)
    // equals its raw value by chance: at most ~0.04 each under the discrete Laplace at these scales,
    // 3 numbers a partition, so ≥ 7 of the 9 raw values appearing by chance has probability < 1e-5.
    const appears = (text: string, value: number): boolean =>
      [String(value), String(Math.round(value)), Math.round(value).toLocaleString('en-US')].some((form) =>
        new RegExp(`(^|[^\\d.,])${form.replace(/[.,]/g, '\\$&')}([^\\d]|$)`).test(text),
      );
    const found = raw.filter((value) => goldTexts.some((text) => appears(text, value)));
    expect(found.length).toBeLessThanOrEqual(6);
    for (const text of goldTexts) {
      expect(text).not.toContain('895954260133011192'); // a real visitor id of the sample
      expect(text).not.toMatch(/\b[0-9a-f]{32}\b/); // a pseudonym
      expect(text).not.toContain('SIMULATION');
    }
  });

  it('covers the bounded value as often as a 95% interval should, on the release code path (seeded)', async () => {
    // 20 runs × 9 partitions, each interval covering with probability ≥ 95%: a fraction under 85%
    // for one analysis has probability < 1e-4 (binomial tail), so this fails falsely less than
    // once in 10,000 seeds; the seed is fixed.
    const { evaluation: seeded } = await evaluate({
      lake: new FsLake(dir),
      config: await loadConfig(),
      runs: 20,
      window: '2016-08',
      rng: seededRandom('evaluate-coverage-1'),
    });
    for (const a of seeded.analyses) {
      expect(a.summary.coverage, a.analysis).toBeGreaterThanOrEqual(0.85);
      // Large partitions only: at ε = 1 the noise on a count is tiny against thousands; automatic
      // bounds trade a little more noise on the mean (larger Linf and clamp) for far less bias.
      if (SEED_ANALYSES.includes(a.analysis)) {
        const most = a.statistic === 'count' ? 0.01 : 0.05;
        expect(a.summary.median_relative_error_vs_bounded!, a.analysis).toBeLessThan(most);
        expect(a.summary.median_relative_noise!, a.analysis).toBeLessThan(most);
        // Bounding bias is reported apart from noise, and is small with automatic bounds.
        expect(a.summary.median_relative_bias!, a.analysis).toBeLessThan(0.05);
      }
      // Every run's bounds are listed (chosen privately per run).
      expect(a.bounds_chosen.reduce((acc, b) => acc + b.runs, 0)).toBe(20);
      for (const p of a.partitions) {
        if (p.dp === null) continue; // a country never selected in these runs
        expect(p.dp!.p5).toBeLessThanOrEqual(p.dp!.median);
        expect(p.dp!.median).toBeLessThanOrEqual(p.dp!.p95);
      }
    }
    expect(await snapshot(join(dir, 'gold'))).toEqual(goldBefore);
  });

  it('refuses bad input with one line and exit 1', () => {
    const cases: [string[], RegExp][] = [
      [['--window', '2016-09'], /--window 2016-09: no Silver data for that month; months with data: 2016-08/],
      [['--window', '2016-8'], /expected a month YYYY-MM, got '2016-8'/],
      [['--runs', '0'], /--runs must be a positive integer, got '0'/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['evaluate', '--lake', dir, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
