import { newSamplingSalt, type RandomSource } from '../dp/index.js';
import type { SparkSqlEngine } from '../engine/databricks.js';
import { UserError } from '../errors.js';
import { boundingPlanOf } from './bounding-plan.js';
import { stagedColumns } from './bounded-sql.js';
import { mergeSparkRows, sparkBoundedAggregateSql, type SparkSilverSource } from './bounded-spark-sql.js';
import { windowPlanOf, type BoundingJob, type Window, type WindowAggregates } from './release.js';

/**
 * {@link boundedAggregatesOfAll} on a Spark engine: the same bounded per-partition aggregates of
 * every job's windows, in the same shape, from one statement per analysis that reads the
 * committed Silver files itself, each window with its own plan (`windowPlans`). Salts are drawn from `rng` exactly as the DuckDB path draws them
 * (job by job, window by window), so with the same random source both paths keep the same rows.
 * Only aggregates come back: partition selection, noise, the ledger and Gold stay in the job.
 */
export async function sparkBoundedAggregatesOfAll(
  engine: SparkSqlEngine,
  jobs: readonly BoundingJob[],
  source: SparkSilverSource,
  rng: RandomSource,
): Promise<WindowAggregates[]> {
  const results = jobs.map(
    ({ windows }) => new Map(windows.map((w) => [w.id, new Map()])) as WindowAggregates,
  );
  const staged: Window[] = [];
  const index = new Map<string, number>();
  for (const w of jobs.flatMap((j) => j.windows)) {
    const id = `${w.id}|${w.start}|${w.end}`;
    if (!index.has(id)) index.set(id, staged.push(w) - 1);
  }
  if (source.uris.length === 0 || staged.length === 0) return results;
  const salted = jobs.map(({ windows }) =>
    windows.map((w) => ({
      index: index.get(`${w.id}|${w.start}|${w.end}`)!,
      id: w.id,
      salt: newSamplingSalt(rng),
    })),
  );
  const columns = stagedColumns(jobs.map((j) => j.plan));
  for (const [i, job] of jobs.entries()) {
    if (salted[i]!.length === 0) continue;
    const { sql, parameters } = sparkBoundedAggregateSql(
      boundingPlanOf(job.plan, salted[i]!, (w) => windowPlanOf(job, w.id)),
      columns,
      source,
      staged,
    );
    mergeSparkRows(results[i]!, await engine.query(sql, parameters));
  }
  return results;
}

/**
 * The `abfss://` URIs of Silver keys in the container `located` (as `Lake.locate('silver')` gives
 * it: `https://<account>.blob.core.windows.net/<container>`), for a Spark engine reading Azure
 * Storage through ADLS Gen2 (`dfs`). A lake elsewhere (a local directory, Azurite) cannot be read
 * by a warehouse: a `UserError` says so.
 */
export function abfssUris(located: string, keys: readonly string[]): string[] {
  const m = /^https:\/\/([a-z0-9]{3,24})\.blob\.core\.windows\.net\/([a-z0-9-]{3,63})$/.exec(located);
  if (m === null) {
    throw new UserError(
      `DP_ENGINE=databricks reads Silver from Azure Storage, but the lake is at ${located}: set DP_STORAGE_ACCOUNT to the lake's account, or unset DP_ENGINE to bound with the embedded engine`,
    );
  }
  const [, account, container] = m;
  return keys.map((k) => `abfss://${container}@${account}.dfs.core.windows.net/${k}`);
}
