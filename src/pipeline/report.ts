import { z } from 'zod';
import type { RejectionCode } from '../bronze/rejection.js';
import type { FlushResult } from '../erasure/index.js';

/** Version tag of the run report format. */
export const RUN_REPORT_SCHEMA = 'dp-pipeline/run-report@1';

const count = z.number().int().nonnegative();

/**
 * Every rejection code, as zod needs them at run time; `satisfies` fails to compile when
 * `bronze/rejection.ts` adds a code this list lacks (or drops one it has).
 */
const REJECTION_CODES = {
  empty_blob: 'empty_blob',
  corrupt_gzip: 'corrupt_gzip',
  line_too_long: 'line_too_long',
  invalid_utf8: 'invalid_utf8',
  control_character: 'control_character',
  blob_too_large: 'blob_too_large',
  json_too_large: 'json_too_large',
  not_json: 'not_json',
  not_object: 'not_object',
  missing_field: 'missing_field',
  invalid_integer: 'invalid_integer',
  invalid_date: 'invalid_date',
  invalid_enum: 'invalid_enum',
  out_of_range: 'out_of_range',
} as const satisfies { readonly [K in RejectionCode]: K };

/** Per-blob tallies: `records = silver + rejected + duplicates + erased`. */
const blobTallySchema = z.object({
  key: z.string(),
  etag: z.string(),
  records: count,
  silver: count,
  rejected: count,
  duplicates: count,
  /** Lines of users erased before they arrived: dropped, and the Bronze blob rewritten without them. */
  erased: count,
});
export type BlobTally = z.output<typeof blobTallySchema>;

const releaseSummarySchema = z.object({
  analysis: z.string(),
  window: z.string(),
  status: z.enum(['released', 'already_released']),
  epsilon: z.number(),
  path: z.string(),
});
export type ReleaseSummary = z.output<typeof releaseSummarySchema>;

const flushResultSchema = z.object({
  requests_from_files: count,
  rejected_files: z.array(z.object({ key: z.string(), reason: z.string() })),
  erasures_processed: count,
  bronze_blobs_rewritten: count,
  bronze_records_removed: count,
  silver_files_rewritten: count,
  silver_rows_removed: count,
  activity_rows_removed: count,
  quarantine_lines_removed: count,
}) satisfies z.ZodType<FlushResult>;

/**
 * The run report, `private/runs/<run>.json`: raw tallies, never in Gold. Written once Silver and
 * quarantine are in place (this write commits the run), then completed with the Gold phase.
 * Read back through this schema: a report that does not decode is damaged (`DamagedStateError`).
 */
export const runReportSchema = z.object({
  schema: z.literal(RUN_REPORT_SCHEMA),
  run_id: z.string(),
  status: z.enum(['committed', 'completed', 'budget_exhausted']),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime().nullable(),
  lake: z.string(),
  totals: z.object({
    records_read: count,
    silver: count,
    rejected: count,
    duplicates: count,
    /** Lines of already-erased users, dropped on arrival. */
    erased_dropped: count,
    /** `records_read === silver + rejected + duplicates + erased_dropped`, checked, never assumed. */
    balanced: z.boolean(),
    /** Silver rows whose month had already been released (tallied, not re-released). */
    late: count,
  }),
  /** Erasure requests processed at the start of this run (counts only). */
  erasures: flushResultSchema,
  rejected_by_reason: z.partialRecord(z.enum(REJECTION_CODES), count),
  ignored_blobs: z.array(z.object({ key: z.string(), etag: z.string(), reason: z.string() })),
  blobs: z.array(blobTallySchema),
  silver_dates: z.array(z.string()),
  releases: z.array(releaseSummarySchema),
  epsilon_spent: z.number(),
  timings_ms: z.record(z.string(), z.number()),
});
export type RunReport = z.output<typeof runReportSchema>;
