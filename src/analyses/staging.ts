import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sqlList, sqlString, type Engine } from '../engine/duckdb.js';
import { openScratch } from '../lake/index.js';
import type { SilverSource } from '../silver/silver-source.js';
import { stagedRowsSql, windowRowsSql, withRowCountsSql } from './bounded-sql.js';

/** Silver rows per user bucket: keeps the engine's working set bounded on large windows. */
export const ROWS_PER_BUCKET = 1_000_000;

/**
 * The rows of some windows split into user buckets, each readable on its own and as often as
 * needed: bounding reads bucket by bucket, and another pass over the same rows (a profile before
 * bounding, say) reads each bucket again without touching Silver.
 */
export interface StagedBuckets {
  /** How many buckets the users were split into (`userBucketSql`'s `count`). */
  readonly count: number;
  /** The buckets that hold rows, ascending; the others are empty. */
  readonly buckets: readonly number[];
  /**
   * Bucket `index`'s rows as `stagedRowsSql` yields them (`w`, `pid`, `rid`, the columns, `n`):
   * a query that reads only that bucket's users' rows.
   */
  rowsSql(index: number): string;
  /** Deletes the staged files. */
  close(): Promise<void>;
}

/**
 * Splits the rows of `windows` in `silver` into user buckets of about `rowsPerBucket` rows.
 * One bucket: its rows are read from Silver as they are (one pass reads them once anyway).
 * Several: ONE pass over Silver writes each row's `w`, `pid`, `session_id` and `columns` to a
 * scratch Parquet staging partitioned by the user's bucket, so each bucket then reads only its own
 * users' rows and the whole month is read once, not once per bucket (which grew as n²).
 * The staging holds pseudonyms, so it lives in a scratch directory: under `dir` (the run's
 * scratch directory) when given, else one of its own; `close()` deletes it.
 *
 * @example
 * ```ts
 * const staged = await stageBuckets(engine, silver, windows, ['device_category'], { dir: ctx.tmpDir });
 * try {
 *   for (const b of staged.buckets) await engine.all(`SELECT count(*) FROM (${staged.rowsSql(b)})`);
 * } finally {
 *   await staged.close();
 * }
 * ```
 */
export async function stageBuckets(
  engine: Engine,
  silver: SilverSource,
  windows: readonly { readonly start: string; readonly end: string }[],
  columns: readonly string[],
  options: { readonly rowsPerBucket?: number; readonly dir?: string } = {},
): Promise<StagedBuckets> {
  const count = Math.max(1, Math.ceil(silver.rows / (options.rowsPerBucket ?? ROWS_PER_BUCKET)));
  if (count === 1) {
    const sql = stagedRowsSql(columns, silver, windows);
    return { count, buckets: [0], rowsSql: () => sql, close: async () => {} };
  }
  const scratch = options.dir
    ? await mkdtemp(join(options.dir, 'gold-staging-')).then((dir) => ({
        dir,
        close: () => rm(dir, { recursive: true, force: true }),
      }))
    : await openScratch('gold-staging', randomBytes(4).toString('hex'), { engine });
  try {
    const out = join(scratch.dir, 'rows');
    await engine.run(
      `COPY (${windowRowsSql(columns, silver, windows, { bucketCount: count })})
      TO ${sqlString(out)} (FORMAT parquet, COMPRESSION uncompressed, PARTITION_BY (b))`,
    );
    const files = new Map<number, string[]>();
    for (const entry of await readdir(out, { recursive: true })) {
      const m = /^b=(\d+)[/\\](.+\.parquet)$/.exec(entry);
      if (m) files.set(Number(m[1]), [...(files.get(Number(m[1])) ?? []), join(out, entry)]);
    }
    const cols = columns.map((c) => `, ${c}`).join('');
    return {
      count,
      buckets: [...files.keys()].sort((a, b) => a - b),
      rowsSql: (index) => {
        const paths = files.get(index);
        if (paths === undefined) throw new RangeError(`bucket ${index} holds no rows`);
        return withRowCountsSql(
          columns,
          `SELECT w, pid, session_id${cols} FROM read_parquet(${sqlList(paths)}, hive_partitioning = false)`,
        );
      },
      close: () => scratch.close(),
    };
  } catch (err) {
    await scratch.close();
    throw err;
  }
}
