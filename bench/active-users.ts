/**
 * `npm run bench:active-users`: accuracy of DP DAU / rolling MAU on the GA360 year
 * (../shared/data/ga360/bronze, 2016-08-01..2017-07-31), per-release and continual, against
 * the exact counts of the activity ledger; then requests/s of `GET /dau/{day}` on `serve`.
 *
 * Every number is measured here: mean absolute error (MAE) over the 365 days, averaged over
 * BENCH_TRIALS independent noise draws (default 20). Results go to stdout and
 * bench/out/active-users.json. The pipeline run and the exact counts are private to this bench.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, dauRelease, mauRelease } from '../src/active-users/index.js';
import { openActivity } from '../src/activity/index.js';
import { loadConfig, type ActiveUsersConfig } from '../src/config/index.js';
import {
  continualTreeMechanism,
  differenceStream,
  presenceFlips,
  releaseContinual,
  rhoForEpsilonDelta,
  rhoToEpsilon,
  secureRandom,
} from '../src/dp/index.js';
import { FsLake } from '../src/storage/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const cli = join(repo, 'dist', 'src', 'cli', 'main.js');
const ga360 = process.env.BENCH_GA360_DIR ?? resolve(repo, '..', 'shared', 'data', 'ga360', 'bronze');
const trials = Number(process.env.BENCH_TRIALS ?? 20);
const loadSeconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const FIRST = '2016-08-01';
const T = 365;
const days = Array.from({ length: T }, (_, i) => addDays(FIRST, i));
const meta = { createdAt: new Date().toISOString(), runId: 'bench' };

const mae = (est: readonly number[], exact: readonly number[]): number =>
  est.reduce((s, v, i) => s + Math.abs(v - exact[i]!), 0) / est.length;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const r1 = (x: number): number => Math.round(x * 10) / 10;

function perRelease(
  exact: readonly number[],
  release: (i: number, rng: ReturnType<typeof secureRandom>) => number,
): number {
  const rng = secureRandom();
  return mean(
    Array.from({ length: trials }, () =>
      mae(
        exact.map((_, i) => release(i, rng)),
        exact,
      ),
    ),
  );
}

function continual(
  activeSteps: readonly (readonly number[])[],
  window: number,
  w: number,
  budget: { epsilon: number } | { rho: number },
  exact: readonly number[],
  offset = 0,
): { mae: number; truncated_users: number; truncation_bias_mae: number } {
  const steps = exact.length;
  const flips = activeSteps.map((s) =>
    presenceFlips(
      s.map((x) => x - offset),
      steps,
      window,
    ),
  );
  const { z, truncatedUsers } = differenceStream(flips, steps, w);
  let run = 0;
  const truncated = Array.from(z, (v) => (run += v));
  const m = continualTreeMechanism(steps, w, budget);
  const rng = secureRandom();
  const errs = Array.from({ length: trials }, () => mae(releaseContinual(m, z, rng).estimates, exact));
  return { mae: mean(errs), truncated_users: truncatedUsers, truncation_bias_mae: mae(truncated, exact) };
}

async function loadTest(lake: string): Promise<Record<string, number>> {
  const key = 'bench-key';
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--lake', lake], {
    env: { ...process.env, DP_API_KEYS: key, DP_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((res, rej) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) res(m[1]!);
      });
      child.once('exit', (c) => rej(new Error(`serve exited ${c}`)));
    });
    const released = days.slice(0, 10); // within the DAU cap of 2016-08 (10 × 0.3 = 3)
    for (const d of released) {
      const r = await fetch(`${url}/dau/${d}`, { headers: { 'x-api-key': key } });
      if (r.status !== 200) throw new Error(`GET /dau/${d}: ${r.status} ${await r.text()}`);
    }
    const latencies: number[] = [];
    let errors = 0;
    const until = performance.now() + loadSeconds * 1000;
    let n = 0;
    const workerLoop = async (): Promise<void> => {
      while (performance.now() < until) {
        const d = released[n++ % released.length]!;
        const t0 = performance.now();
        const r = await fetch(`${url}/dau/${d}`, { headers: { 'x-api-key': key } });
        await r.arrayBuffer();
        if (r.status !== 200) errors++;
        latencies.push(performance.now() - t0);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, workerLoop));
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      requests: latencies.length,
      errors,
      seconds: r1(seconds),
      requests_per_second: Math.round(latencies.length / seconds),
      p50_ms: r1(latencies[Math.floor(latencies.length * 0.5)]!),
      p99_ms: r1(latencies[Math.floor(latencies.length * 0.99)]!),
      concurrency,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'dp-bench-active-'));
  try {
    const lake = join(work, 'lake');
    await mkdir(join(lake, 'bronze'), { recursive: true });
    await cp(ga360, join(lake, 'bronze', 'ga360'), { recursive: true });
    const t0 = performance.now();
    execFileSync(process.execPath, [cli, 'run', '--lake', lake], { stdio: ['ignore', 'ignore', 'inherit'] });
    const runMs = performance.now() - t0;

    const activity = await openActivity(new FsLake(lake));
    const t1 = performance.now();
    const exactDau: number[] = [];
    const exactMau: number[] = [];
    for (const d of days) {
      exactDau.push(await activity.dau(d));
      exactMau.push(await activity.distinctUsers(addDays(d, -29), d));
    }
    const active = await activity.activeDaysByUser(addDays(FIRST, -29), days[T - 1]!);
    const exactMs = performance.now() - t1;
    activity.close();
    const steps = active.map((ds) =>
      ds.map((d) => Math.round((Date.parse(d) - Date.parse(FIRST)) / 86_400_000) + 1),
    );

    const cfg: ActiveUsersConfig = (await loadConfig()).active_users;
    const withDau = (epsilon: number): ActiveUsersConfig => ({ ...cfg, dau: { ...cfg.dau, epsilon } });
    const withMau = (epsilon: number): ActiveUsersConfig => ({ ...cfg, mau: { ...cfg.mau, epsilon } });
    const dauAt = (c: ActiveUsersConfig) => (i: number, rng: ReturnType<typeof secureRandom>) =>
      dauRelease(days[i]!, exactDau[i]!, c, rng, meta).partitions[0]!.value;
    const mauAt = (c: ActiveUsersConfig) => (i: number, rng: ReturnType<typeof secureRandom>) =>
      mauRelease(days[i]!, 30, exactMau[i]!, c, rng, meta).partitions[0]!.value;

    const seriesEps = cfg.series.epsilon;
    const delta = cfg.mau.delta;
    const seriesRho = rhoForEpsilonDelta(seriesEps, delta);
    const results = {
      data: {
        days: T,
        first_day: FIRST,
        users_in_year: active.length,
        mean_exact_dau: r1(mean(exactDau)),
        mean_exact_mau30: r1(mean(exactMau)),
        pipeline_run_ms: Math.round(runMs),
        exact_counts_ms: Math.round(exactMs),
      },
      trials,
      per_release_defaults: {
        note: 'each day released separately at the default per-release budget (NOT the same total budget as a series)',
        dau_eps_0_3: r1(perRelease(exactDau, dauAt(cfg))),
        mau30_eps_0_5_delta_1e6: r1(perRelease(exactMau, mauAt(cfg))),
      },
      same_total_budget_year: {
        note: `all 365 days under one total budget: ε = ${seriesEps} for DAU (pure), (ε = ${seriesEps}, δ = ${delta}) for MAU`,
        dau_per_day_releases: r1(perRelease(exactDau, dauAt(withDau(seriesEps / T)))),
        mau30_per_day_releases: r1(perRelease(exactMau, mauAt(withMau(rhoToEpsilon(seriesRho / T, delta))))),
        dau_continual: Object.fromEntries(
          [1, 2, 4, 8, 16].map((w) => [
            `w=${w}`,
            roundAll(continual(steps, 1, w, { epsilon: seriesEps }, exactDau)),
          ]),
        ),
        mau30_continual: Object.fromEntries(
          [1, 2, 4, 8].map((w) => [
            `w=${w}`,
            roundAll(continual(steps, 30, w, { rho: seriesRho }, exactMau)),
          ]),
        ),
      },
      same_total_budget_per_month: monthly(steps, exactDau, exactMau, cfg, dauAt, mauAt, withDau, withMau),
      serve_get_dau: await loadTest(lake),
    };
    const text = JSON.stringify(results, null, 2);
    process.stdout.write(text + '\n');
    await mkdir(join(here, '..', '..', 'bench', 'out'), { recursive: true });
    await writeFile(join(here, '..', '..', 'bench', 'out', 'active-users.json'), text + '\n');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Each calendar month as its own series (the product's default), vs that month's days released one by one, same total budget. */
function monthly(
  steps: readonly (readonly number[])[],
  exactDau: readonly number[],
  exactMau: readonly number[],
  cfg: ActiveUsersConfig,
  dauAt: (c: ActiveUsersConfig) => (i: number, rng: ReturnType<typeof secureRandom>) => number,
  mauAt: (c: ActiveUsersConfig) => (i: number, rng: ReturnType<typeof secureRandom>) => number,
  withDau: (e: number) => ActiveUsersConfig,
  withMau: (e: number) => ActiveUsersConfig,
): Record<string, unknown> {
  const eps = cfg.series.epsilon;
  const delta = cfg.mau.delta;
  const rho = rhoForEpsilonDelta(eps, delta);
  const acc = { dau_per_day: 0, dau_continual: 0, mau30_per_day: 0, mau30_continual: 0 };
  const months = [...new Set(days.map((d) => d.slice(0, 7)))];
  for (const month of months) {
    const idx = days.flatMap((d, i) => (d.startsWith(month) ? [i] : []));
    const off = idx[0]!;
    const n = idx.length;
    const sub = (xs: readonly number[]): number[] => idx.map((i) => xs[i]!);
    const shift =
      (f: (i: number, rng: ReturnType<typeof secureRandom>) => number) =>
      (j: number, rng: ReturnType<typeof secureRandom>): number =>
        f(off + j, rng);
    acc.dau_per_day += perRelease(sub(exactDau), shift(dauAt(withDau(eps / n)))) * n;
    acc.mau30_per_day += perRelease(sub(exactMau), shift(mauAt(withMau(rhoToEpsilon(rho / n, delta))))) * n;
    acc.dau_continual +=
      continual(steps, 1, cfg.series.dau_max_flippancy, { epsilon: eps }, sub(exactDau), off).mae * n;
    acc.mau30_continual +=
      continual(steps, 30, cfg.series.mau_max_flippancy, { rho }, sub(exactMau), off).mae * n;
  }
  return {
    note: `each month under its own budget (ε = ${eps}; MAU with δ = ${delta}); continual with the default w (DAU ${cfg.series.dau_max_flippancy}, MAU ${cfg.series.mau_max_flippancy}); MAE over all days`,
    ...roundAll(Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v / T]))),
  };
}

function roundAll(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r1(v)]));
}

await main();
