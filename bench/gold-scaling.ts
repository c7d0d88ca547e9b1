/**
 * Gold on one synthetic month at several sizes: does its time grow linearly with the sessions?
 *   node dist/bench/gold-scaling.js silver <dir> <sessions>  writes one month (August 2016) of
 *     Silver-like Parquet, one file per day, with `sessions` sessions (see `writeSilver`);
 *   node dist/bench/gold-scaling.js gold <dir>  computes the four default analyses' releases from
 *     it (bounding in DuckDB, 512 MB, 2 threads, then noise) and prints one JSON line:
 *     { sessions, releases, ms, cpuMs, maxRssMiB }. BENCH_GOLD_ROWS_PER_BUCKET sets the bucket size
 *     (default the product's, 1M rows), so a small run in CI still splits users into buckets. Run in its own process so peak RSS is Gold's alone.
 * `bench/run.ts` drives both for each size of BENCH_GOLD_SCALING_SESSIONS.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundWithSelection, monthWindow, planAll, releasesOf } from '../src/analyses/index.js';
import { loadConfig } from '../src/config/index.js';
import { secureRandom } from '../src/dp/index.js';
import { Engine, sqlString } from '../src/engine/duckdb.js';
import { openSilverSource } from '../src/silver/silver-source.js';

const [mode, dir, sessionsArg] = process.argv.slice(2);

/**
 * Sessions spread evenly over the month's days. Four in five belong to a user with that one
 * session; the fifth go to sessions/20 returning users drawn by a hash (about 4 sessions each, the
 * bounding's expensive path), as in the GA360 year (~80% of a month's sessions from one-session
 * users). Pseudonyms are 32 hex characters as ingest writes them, every row under key version v1
 * (no `user_link`).
 */
async function writeSilver(out: string, sessions: number): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'dp-bench-scaling-gen-'));
  const engine = await Engine.open({ tempDirectory: scratch, memoryLimit: '2GB' });
  try {
    const returning = Math.max(1, Math.floor(sessions / 20));
    const pick = (salt: string, n: number): string => `CAST(hash(i, ${sqlString(salt)}) % ${n} AS BIGINT)`;
    const of = (values: readonly string[], salt: string): string =>
      `[${values.map(sqlString).join(', ')}][1 + ${pick(salt, values.length)}]`;
    await engine.run(`COPY (
      SELECT DATE '2016-08-01' + CAST(i % 31 AS INTEGER) AS date, 's' || i AS session_id,
        md5(CASE WHEN i % 5 <> 0 THEN 'one-' || i ELSE 'returning-' || ${pick('user', returning)} END) AS user_pseudonym, 'v1' AS key_version,
        ${of(['Americas', 'Europe', 'Asia', 'Africa', 'Oceania', '(not set)'], 'continent')} AS continent,
        'country-' || CAST(${pick('country', 200)} AS VARCHAR) AS country,
        ${of(['desktop', 'mobile', 'tablet'], 'device')} AS device_category,
        CAST(1 + ${pick('pageviews', 30)} AS INTEGER) AS pageviews,
        CAST(${pick('time', 1_800_000)} AS BIGINT) AS time_on_site_ms
      FROM range(${sessions}) t(i))
      TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (date), WRITE_PARTITION_COLUMNS true)`);
  } finally {
    engine.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function gold(silverDir: string): Promise<Record<string, unknown>> {
  const files = (await readdir(silverDir, { recursive: true }))
    .filter((f) => f.endsWith('.parquet'))
    .sort()
    .map((f) => join(silverDir, f));
  const scratch = await mkdtemp(join(tmpdir(), 'dp-bench-scaling-gold-'));
  const engine = await Engine.open({ tempDirectory: join(scratch, 'duckdb') });
  try {
    const plans = planAll(await loadConfig());
    const rng = secureRandom();
    const windows = [monthWindow('2016-08')];
    const t0 = performance.now();
    const cpu = process.cpuUsage();
    const silver = await openSilverSource(engine, files, { linkVersion: 'v1' });
    const work = plans.map((plan) => ({ plan, windows }));
    const rowsPerBucket = Number(process.env.BENCH_GOLD_ROWS_PER_BUCKET ?? 0);
    // What a run's Gold phase does: automatic bounds chosen from the staged rows, then bounding.
    const { jobs, aggregates } = await boundWithSelection(engine, work, silver, rng, {
      scratchDir: scratch,
      ...(rowsPerBucket > 0 ? { rowsPerBucket } : {}),
    });
    const meta = { runId: 'bench', createdAt: new Date().toISOString() };
    let releases = 0;
    for (const [i, job] of jobs.entries()) releases += releasesOf(job, aggregates[i]!, rng, meta).size;
    const used = process.cpuUsage(cpu);
    return {
      sessions: silver.rows,
      releases,
      ms: Math.round(performance.now() - t0),
      // The process's CPU, DuckDB's threads included: less sensitive than wall time to a shared machine.
      cpuMs: Math.round((used.user + used.system) / 1000),
    };
  } finally {
    engine.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

if (mode === 'silver' && dir && sessionsArg) {
  await writeSilver(dir, Number(sessionsArg));
} else if (mode === 'gold' && dir) {
  const result = await gold(dir);
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(JSON.stringify({ ...result, maxRssMiB }) + '\n');
} else {
  throw new Error('usage: node dist/bench/gold-scaling.js silver <dir> <sessions> | gold <dir>');
}
