/**
 * One measured job, in its own process so peak RSS belongs to it alone.
 * Usage: node dist/bench/worker.js pipeline <lakeDir> | baseline <bronzeGlob> <outDir>
 * Prints one JSON line: { ms, phases, maxRssMiB, ... }.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../src/config/index.js';
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
 * The plain, non-private baseline: DuckDB reads the NDJSON.gz, writes Parquet partitioned by
 * date, and computes the same two group-bys (no validation, no pseudonyms, no bounding, no noise).
 */
async function baseline(glob: string, outDir: string): Promise<Record<string, unknown>> {
  await mkdir(outDir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '2' });
  const c = await db.connect();
  const t0 = performance.now();
  await c.run(`COPY (
      SELECT CAST(strptime(date, '%Y%m%d') AS DATE) AS date, fullVisitorId, visitId, geoNetwork.continent AS continent,
             device.deviceCategory AS device_category, CAST(totals.timeOnSite AS BIGINT) * 1000 AS time_on_site_ms,
             CAST(totals.hits AS INTEGER) AS hits, CAST(totals.pageviews AS INTEGER) AS pageviews
      FROM read_json('${glob}', format = 'newline_delimited'))
    TO '${join(outDir, 'silver')}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true)`);
  const t1 = performance.now();
  const src = `read_parquet('${join(outDir, 'silver')}/*/*.parquet')`;
  await c.runAndReadAll(`SELECT strftime(date, '%Y-%m') m, continent, count(*) FROM ${src} GROUP BY ALL`);
  await c.runAndReadAll(
    `SELECT strftime(date, '%Y-%m') m, device_category, avg(least(time_on_site_ms, 600000)) FROM ${src} WHERE time_on_site_ms IS NOT NULL GROUP BY ALL`,
  );
  const t2 = performance.now();
  return {
    ms: Math.round(t2 - t0),
    phases: { bronze_to_silver: Math.round(t1 - t0), silver_to_gold: Math.round(t2 - t1) },
  };
}

const result = mode === 'pipeline' ? await pipeline(a!) : await baseline(a!, b!);
const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(JSON.stringify({ ...result, maxRssMiB }) + '\n');
