/**
 * One measured job, in its own process so peak RSS belongs to it alone.
 * Usage: node dist/bench/worker.js pipeline <lakeDir> | baseline <bronzeGlob> <outDir>
 * Prints one JSON line: { ms, phases, maxRssMiB, ... }.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { planAll, type AnalysisPlan } from '../src/analyses/index.js';
import { loadConfig } from '../src/config/index.js';
import { engineThreads } from '../src/engine/duckdb.js';
import { runPipeline } from '../src/pipeline/run.js';
import { FsLake } from '../src/storage/index.js';

const [mode, a, b] = process.argv.slice(2);

async function pipeline(lakeDir: string): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const result = await runPipeline({ lake: new FsLake(lakeDir), config: await loadConfig() });
  return {
    ms: Math.round(performance.now() - t0),
    phases: result.report.timings_ms,
    records: result.report.totals.records_read,
    silver: result.report.totals.silver,
    releases: result.report.releases.length,
  };
}

/**
 * The plain, non-private baseline: DuckDB reads the NDJSON.gz, writes the same Silver columns as
 * date-partitioned zstd Parquet, and computes each configured analysis's per-month aggregates
 * (counts, clamped means, exact quantiles), on as many DuckDB threads as the pipeline, without validation, pseudonyms, deduplication,
 * bounding, noise or charts. Its group-bys come from the same plans as the pipeline's, so the
 * two always do the same analyses.
 */
async function baseline(glob: string, outDir: string): Promise<Record<string, unknown>> {
  await mkdir(outDir, { recursive: true });
  const plans = planAll(await loadConfig());
  const db = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    threads: String(engineThreads()),
  });
  const c = await db.connect();
  const t0 = performance.now();
  await c.run(`COPY (
      SELECT CAST(strptime(date, '%Y%m%d') AS DATE) AS date, visitId AS session_id, fullVisitorId AS user_id,
             CAST(visitNumber AS INTEGER) AS visit_number, make_timestamp(CAST(visitStartTime AS BIGINT) * 1000000) AS visit_start_time,
             geoNetwork.continent AS continent, geoNetwork.country AS country, device.deviceCategory AS device_category,
             device.browser AS browser, channelGrouping AS channel, trafficSource.source AS traffic_source,
             trafficSource.campaign AS campaign, CAST(totals.hits AS INTEGER) AS hits, CAST(totals.pageviews AS INTEGER) AS pageviews,
             CAST(totals.timeOnSite AS BIGINT) * 1000 AS time_on_site_ms, CAST(totals.bounces AS INTEGER) AS bounces,
             CAST(totals.transactions AS INTEGER) AS transactions, CAST(totals.transactionRevenue AS BIGINT) AS revenue_micros,
             CAST(totals.newVisits AS INTEGER) = 1 AS new_visit
      FROM read_json('${glob}', format = 'newline_delimited'))
    TO '${join(outDir, 'silver')}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (date), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true)`);
  const t1 = performance.now();
  const src = `read_parquet('${join(outDir, 'silver')}/*/*.parquet')`;
  let groups = 0;
  for (const plan of plans) groups += (await c.runAndReadAll(baselineSql(plan, src))).currentRowCount;
  const t2 = performance.now();
  const rows = (await c.runAndReadAll(`SELECT count(*) FROM ${src}`)).getRows()[0]![0];
  return {
    ms: Math.round(t2 - t0),
    rows: Number(rows),
    groups,
    phases: { bronze_to_silver: Math.round(t1 - t0), silver_to_gold: Math.round(t2 - t1) },
  };
}

/** One analysis without privacy: per month and key, the exact count, clamped mean and quantiles. */
function baselineSql(plan: AnalysisPlan, src: string): string {
  const keys =
    plan.partitions.kind === 'public'
      ? ` AND ${plan.partitionBy} IN (${plan.partitions.keys.map((k) => `'${k}'`).join(', ')})`
      : '';
  const v = plan.value;
  const clamped = v ? `greatest(least(${v.column}, ${v.hi}), ${v.lo})` : '';
  const stats = [
    'count(*)',
    ...(v ? [`avg(${clamped})`] : []),
    ...(v && plan.quantiles ? [`quantile_cont(${clamped}, [${plan.quantiles.join(', ')}])`] : []),
  ];
  return `SELECT strftime(date, '%Y-%m') AS m, ${plan.partitionBy} AS pk, ${stats.join(', ')} FROM ${src}
    WHERE ${plan.partitionBy} IS NOT NULL${v ? ` AND ${v.column} IS NOT NULL` : ''}${keys} GROUP BY ALL`;
}

const result = mode === 'pipeline' ? await pipeline(a!) : await baseline(a!, b!);
const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(JSON.stringify({ ...result, maxRssMiB }) + '\n');
