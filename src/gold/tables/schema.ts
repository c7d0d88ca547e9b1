import { z } from 'zod';

/** The format of the Gold tables; also in each Parquet file's key-value metadata as `schema`. */
export const TABLE_SCHEMA = 'dp-pipeline/table@1' as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

/**
 * One row of the Gold tables (`gold/tables/<analysis>.csv|.parquet`, `gold/tables/releases.parquet`):
 * one released number of one partition of one release, long format. Every field is a DP output
 * or a public parameter copied from the release JSON it names (`release_id`); nothing is
 * recomputed. `schemas/table-row.schema.json` is generated from this (a test keeps it in sync).
 *
 * Column order is the order of the keys below, in the CSV header and in the Parquet files.
 * Types in Parquet: dates are DATE, numbers DOUBLE, the rest VARCHAR; in the CSV, numbers are
 * written as JavaScript's shortest round-trip decimal, so they read back to the same double.
 *
 * @example
 * ```ts
 * const row = tableRowSchema.parse(csvRecord); // after typing the numeric columns
 * ```
 */
export const tableRowSchema = z.object({
  release_id: z
    .string()
    .min(3)
    .describe(
      'The release: `<analysis>/<window>`; its JSON is gold/releases/<release_id>.json (the authority for every value here).',
    ),
  analysis: z.string().min(1).describe('Analysis name, e.g. sessions_per_continent, dau, mau_series.'),
  description: z.string().describe('What is measured, in words (the release’s `description`).'),
  window_start: isoDate.describe('First day of the release’s window, inclusive.'),
  window_end: isoDate.describe('Last day of the release’s window, inclusive.'),
  partition_by: z
    .string()
    .min(1)
    .describe('What the partition keys are, e.g. continent, device_category, day.'),
  partition_key: z
    .string()
    .describe(
      'The partition. With private partition selection, a key missing from a window was not selected: not a zero.',
    ),
  statistic: z
    .string()
    .min(1)
    .describe(
      'Output name: count, mean, sum, variance, privacy_id_count, p50, p90, … (a key of the release’s partitions[].statistics).',
    ),
  value: z.number().describe('The DP estimate.'),
  ci95_lower: z.number().describe('Lower end of its 95% interval.'),
  ci95_upper: z.number().describe('Upper end of its 95% interval.'),
  unit: z
    .string()
    .nullable()
    .describe('Unit of value (e.g. ms, pageviews); null (empty in CSV) for counts of sessions or visitors.'),
  epsilon: z
    .number()
    .positive()
    .describe('ε of the whole release (all its statistics together): what it spent of its month’s budget.'),
  delta: z.number().min(0).max(1).describe('δ of the whole release.'),
  mechanism: z
    .string()
    .min(1)
    .describe('Noise of this statistic: discrete_laplace or discrete_gaussian (more may come).'),
});

export type TableRow = z.infer<typeof tableRowSchema>;

/** The columns, in order. */
export const TABLE_COLUMNS = Object.keys(tableRowSchema.shape) as readonly (keyof TableRow)[];
