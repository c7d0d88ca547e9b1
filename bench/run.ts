/**
 * `npm run bench`: the pipeline against a plain non-private DuckDB baseline, measured in the
 * same run on this machine, reported as ratios.
 *   1. the full GA360 year (../shared/data/ga360/bronze: 901,097 sessions in 365 files);
 *   2. BENCH_SYNTHETIC_SESSIONS synthetic sessions (default 10,000,000; set 0 to skip);
 *   3. BENCH_FULL_SCHEMA_SESSIONS synthetic GA360 sessions with their hits arrays, one month
 *      (`generate --full-schema`; default 20,000, ~11 KB a line on average; set 0 to skip);
 *   4. Gold scaling: Gold alone (the four default analyses) on one synthetic Silver month of each
 *      size in BENCH_GOLD_SCALING_SESSIONS (comma-separated; default 2000000,8000000,32000000;
 *      set 0 to skip): seconds per million sessions and peak RSS at each size, which should stay
 *      flat, and the ratio of s/M at the largest size to the smallest (issue 19 asks ≤ 1.5).
 *      BENCH_GOLD_ROWS_PER_BUCKET shrinks the user buckets for a small run (CI): e.g. sizes
 *      20000,80000,320000 with 10000 rows per bucket.
 *   4. the GA360 year again with DuckDB on 1 thread and on every core (`DP_ENGINE_THREADS`), and
 *      the speed-up: what more vCPUs would give a job (BENCH_SCALING=0 skips it).
 * Results go to stdout and bench/out/results.json.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../src/generate/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const worker = join(here, 'worker.js');
const ga360 = process.env.BENCH_GA360_DIR ?? resolve(repo, '..', 'shared', 'data', 'ga360', 'bronze');
const syntheticSessions = Number(process.env.BENCH_SYNTHETIC_SESSIONS ?? 10_000_000);
const fullSchemaSessions = Number(process.env.BENCH_FULL_SCHEMA_SESSIONS ?? 20_000);
const goldScalingSessions = (process.env.BENCH_GOLD_SCALING_SESSIONS ?? '2000000,8000000,32000000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const scaling = process.env.BENCH_SCALING !== '0';

interface Measured {
  ms: number;
  phases: Record<string, number>;
  maxRssMiB: number;
  records?: number;
  silver?: number;
}

function measure(args: string[], env: NodeJS.ProcessEnv = process.env): Measured {
  const out = execFileSync(process.execPath, [worker, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measured;
}

const rate = (n: number, ms: number): string =>
  `${Math.round((n / ms) * 1000).toLocaleString('en-US')} sessions/s`;

async function compare(name: string, bronzeDir: string, sessions: number): Promise<Record<string, unknown>> {
  const work = await mkdtemp(join(tmpdir(), `dp-bench-${name}-`));
  try {
    const lake = join(work, 'lake');
    await mkdir(join(lake, 'bronze'), { recursive: true });
    await cp(bronzeDir, join(lake, 'bronze', name), { recursive: true });
    const base = measure(['baseline', `${bronzeDir}/**/*.ndjson.gz`, join(work, 'baseline')]);
    const ours = measure(['pipeline', lake]);
    const b2s = ours.phases.bronze_to_silver ?? 0;
    const s2g = ours.phases.silver_to_gold ?? 0;
    const row = {
      dataset: name,
      sessions,
      pipeline: {
        total_ms: ours.ms,
        bronze_to_silver_ms: b2s,
        silver_to_gold_ms: s2g,
        peak_rss_mib: ours.maxRssMiB,
      },
      baseline: {
        total_ms: base.ms,
        bronze_to_silver_ms: base.phases.bronze_to_silver,
        silver_to_gold_ms: base.phases.silver_to_gold,
        peak_rss_mib: base.maxRssMiB,
      },
      ratio_total: +(ours.ms / base.ms).toFixed(2),
    };
    console.log(`\n== ${name}: ${sessions.toLocaleString('en-US')} sessions`);
    console.log(
      `  pipeline  total ${ours.ms} ms  (Bronze→Silver ${b2s} ms = ${rate(sessions, b2s)}; Silver→Gold ${s2g} ms = ${rate(sessions, s2g)})  peak RSS ${ours.maxRssMiB} MiB`,
    );
    console.log(
      `  baseline  total ${base.ms} ms  (NDJSON→Parquet ${base.phases.bronze_to_silver} ms = ${rate(sessions, base.phases.bronze_to_silver!)}; group-bys ${base.phases.silver_to_gold} ms)  peak RSS ${base.maxRssMiB} MiB`,
    );
    console.log(`  ratio     pipeline / baseline = ${row.ratio_total}×`);
    return row;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The pipeline on `bronzeDir` with DuckDB on 1 thread, then on every core: the speed-up. */
async function scale(name: string, bronzeDir: string): Promise<Record<string, unknown>> {
  const cores = availableParallelism();
  const runs: Record<string, Measured> = {};
  for (const threads of [1, cores]) {
    const work = await mkdtemp(join(tmpdir(), `dp-bench-scale-${name}-`));
    try {
      const lake = join(work, 'lake');
      await mkdir(join(lake, 'bronze'), { recursive: true });
      await cp(bronzeDir, join(lake, 'bronze', name), { recursive: true });
      runs[threads] = measure(['pipeline', lake], { ...process.env, DP_ENGINE_THREADS: String(threads) });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const one = runs[1]!;
  const all = runs[cores]!;
  const speedup = +(one.ms / all.ms).toFixed(2);
  console.log(`\n== ${name}: DuckDB on 1 thread vs ${cores} (every core)`);
  console.log(
    `  1 thread  ${one.ms} ms (Bronze→Silver ${one.phases.bronze_to_silver} ms; Silver→Gold ${one.phases.silver_to_gold} ms)`,
  );
  console.log(
    `  ${cores} threads ${all.ms} ms (Bronze→Silver ${all.phases.bronze_to_silver} ms; Silver→Gold ${all.phases.silver_to_gold} ms)`,
  );
  console.log(`  speed-up  ${speedup}×`);
  return { dataset: `${name}_scaling`, cores, one_thread_ms: one.ms, all_cores_ms: all.ms, speedup };
}

const results: Record<string, unknown>[] = [];
if (await stat(ga360).catch(() => undefined)) {
  results.push(await compare('ga360', ga360, 901_097));
  if (scaling) results.push(await scale('ga360', ga360));
} else {
  console.log(`GA360 data not found at ${ga360} (set BENCH_GA360_DIR); skipping`);
}
if (syntheticSessions > 0) {
  const gen = await mkdtemp(join(tmpdir(), 'dp-bench-gen-'));
  try {
    const days = 62;
    const t0 = performance.now();
    const g = await generate({
      out: gen,
      days,
      users: Math.ceil(syntheticSessions / 2),
      seed: 'bench',
      sessionsPerUserPerMonth: 1,
    });
    console.log(
      `\ngenerated ${g.sessions.toLocaleString('en-US')} synthetic sessions in ${Math.round(performance.now() - t0)} ms`,
    );
    results.push(await compare('synthetic', join(gen, 'bronze', 'synthetic'), g.sessions));
  } finally {
    await rm(gen, { recursive: true, force: true });
  }
}
if (fullSchemaSessions > 0) {
  const gen = await mkdtemp(join(tmpdir(), 'dp-bench-full-'));
  try {
    const t0 = performance.now();
    // One calendar month with one session per user: `users` sessions, each with its hits array.
    const g = await generate({
      out: gen,
      days: 31,
      users: fullSchemaSessions,
      seed: 'bench-full-schema',
      fullSchema: true,
    });
    console.log(
      `\ngenerated ${g.sessions.toLocaleString('en-US')} full-schema sessions in ${Math.round(performance.now() - t0)} ms`,
    );
    results.push(await compare('full_schema', join(gen, 'bronze', 'synthetic'), g.sessions));
  } finally {
    await rm(gen, { recursive: true, force: true });
  }
}
if (goldScalingSessions.length > 0) results.push(await goldScaling(goldScalingSessions));

/** Gold alone on one synthetic month per size, each in its own process (`gold-scaling.js`). */
async function goldScaling(sizes: readonly number[]): Promise<Record<string, unknown>> {
  const script = join(here, 'gold-scaling.js');
  const rows: { sessions: number; s_per_m: number; cpu_s_per_m: number; peak_rss_mib: number }[] = [];
  console.log(
    `\n== Gold scaling: one synthetic month, the four default analyses (DuckDB 512 MB, ${availableParallelism()} threads; automatic bounds chosen, then bounding)`,
  );
  console.log('  sessions       Gold s    s/M   CPU s/M  peak RSS  load (1 min)');
  for (const sessions of sizes) {
    const dir = await mkdtemp(join(tmpdir(), 'dp-bench-scaling-'));
    try {
      execFileSync(process.execPath, [script, 'silver', join(dir, 'silver'), String(sessions)]);
      const load = loadavg()[0]!;
      const out = execFileSync(process.execPath, [script, 'gold', join(dir, 'silver')], { encoding: 'utf8' });
      const m = JSON.parse(out.trim().split('\n').at(-1)!) as {
        ms: number;
        cpuMs: number;
        maxRssMiB: number;
      };
      const row = {
        sessions,
        s_per_m: +((m.ms / sessions) * 1000).toFixed(3),
        cpu_s_per_m: +((m.cpuMs / sessions) * 1000).toFixed(3),
        peak_rss_mib: m.maxRssMiB,
      };
      rows.push(row);
      console.log(
        `  ${sessions.toLocaleString('en-US').padStart(11)}  ${(m.ms / 1000).toFixed(1).padStart(7)}  ${row.s_per_m.toFixed(2).padStart(5)}  ${row.cpu_s_per_m.toFixed(2).padStart(8)}  ${String(m.maxRssMiB).padStart(4)} MiB  ${load.toFixed(1)}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const first = rows[0]!;
  const last = rows.at(-1)!;
  const ratio = +(last.s_per_m / first.s_per_m).toFixed(2);
  const cpuRatio = +(last.cpu_s_per_m / first.cpu_s_per_m).toFixed(2);
  const rss = rows.map((r) => r.peak_rss_mib);
  console.log(
    `  s/M at ${last.sessions.toLocaleString('en-US')} / at ${first.sessions.toLocaleString('en-US')} = ${ratio} (CPU ${cpuRatio}; acceptance ≤ 1.5); peak RSS ${Math.min(...rss)}–${Math.max(...rss)} MiB`,
  );
  return { dataset: 'gold_scaling', rows, ratio_s_per_m: ratio, ratio_cpu_s_per_m: cpuRatio };
}

const b2sRate = (name: string): string => {
  const r = results.find((x) => x.dataset === name) as
    { sessions: number; pipeline: { bronze_to_silver_ms: number } } | undefined;
  return r ? rate(r.sessions, r.pipeline.bronze_to_silver_ms) : 'not measured';
};
console.log(
  `\nBronze→Silver: GA360 year (session level) ${b2sRate('ga360')}; full-schema month (with hits) ${b2sRate('full_schema')}`,
);
await mkdir(join(repo, 'bench', 'out'), { recursive: true });
await writeFile(
  join(repo, 'bench', 'out', 'results.json'),
  JSON.stringify({ measured_at: new Date().toISOString(), results }, null, 2),
);
