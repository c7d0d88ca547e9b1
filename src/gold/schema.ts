import { z } from 'zod';
import { DamagedStateError } from '../errors.js';
import { RELEASE_SCHEMA, type Release } from './release.js';
import { INDEX_SCHEMA } from './store.js';
import { TABLE_SCHEMA, tableRowSchema } from './tables/schema.js';

/**
 * The Gold contracts as zod schemas: `dp-pipeline/release@1` (one release),
 * `dp-pipeline/index@1` (`gold/index.json`) and `dp-pipeline/table@1` (a row of the Gold tables,
 * defined in `tables/schema.ts`). `schemas/*.schema.json` in the repository are
 * generated from these (a test keeps them in sync). Deliberately open where the format grows:
 * new statistics and mechanisms are plain identifiers, and unknown extra fields are allowed, so
 * a reader written against today's schema keeps accepting tomorrow's releases (the JSON Schemas
 * do not forbid additional properties; zod's parse keeps the known fields).
 *
 * @example
 * ```ts
 * const checked = releaseSchema.safeParse(JSON.parse(text));
 * if (!checked.success) console.error(z.prettifyError(checked.error));
 * ```
 */
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lowercase identifier');

export const releaseWindowSchema = z.object({
  start: isoDate.describe('First day of the window, inclusive.'),
  end: isoDate.describe('Last day of the window, inclusive.'),
});

export const releasePrivacySchema = z.object({
  epsilon: z.number().positive(),
  delta: z.number().min(0).max(1),
  mechanism: identifier.describe('e.g. discrete_laplace, discrete_gaussian'),
  noise_scale: z.number().nonnegative(),
  max_partitions_contributed: z.number().int().positive(),
  max_contributions_per_partition: z.number().int().positive(),
  bounds: z.tuple([z.number(), z.number()]).readonly().optional(),
  unit: z.string().optional(),
  sum_noise_scale: z.number().nonnegative().optional(),
  granularity: z.number().positive().optional(),
  interval_method: z.string().min(1),
  bounds_selection: z
    .object({
      method: z.string().min(1),
      epsilon: z.number().positive().describe('ε spent choosing the bounds (part of privacy.epsilon).'),
      candidates: z.string().min(1).describe('The public candidate grid.'),
      chosen: z.object({
        max_partitions_contributed: z.number().int().positive(),
        max_contributions_per_partition: z.number().int().positive(),
        bounds: z.tuple([z.number(), z.number()]).readonly().optional(),
      }),
      clipped_share: z
        .number()
        .min(0)
        .max(1)
        .describe('DP estimate of the share of rows the bounds dropped.'),
      clamped_share: z
        .number()
        .min(0)
        .max(1)
        .optional()
        .describe('DP estimate of the share of values clamped.'),
      note: z.string().optional(),
    })
    .optional()
    .describe('Present when the bounds were chosen privately for this window (additive to release@1).'),
});

export const releasePartitionSchema = z.object({
  key: z.string(),
  value: z.number(),
  ci95: z.tuple([z.number(), z.number()]).readonly().describe('95% interval [lower, upper].'),
});

export const releaseSchema = z.object({
  schema: z.literal(RELEASE_SCHEMA),
  analysis: identifier,
  statistic: identifier.describe('count, mean, sum, variance, privacy_id_count, quantiles, …'),
  privacy_unit: z.literal('user'),
  partition_by: z.string().min(1),
  window: releaseWindowSchema,
  privacy: releasePrivacySchema,
  description: z.string().min(1),
  estimand: z
    .string()
    .min(1)
    .optional()
    .describe('What the release estimates, in words (additive to release@1).'),
  guarantee: z.string().min(1),
  partitions: z.array(releasePartitionSchema).readonly(),
  created_at: z.iso.datetime(),
  run_id: z.string().min(1),
});

/** A path inside the Gold container, relative to it (no leading slash, no `..`). */
const goldPath = z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$)).+$/, 'a relative path inside gold/');

export const indexEntrySchema = z.object({
  analysis: identifier,
  statistic: identifier,
  description: z.string(),
  window: releaseWindowSchema,
  epsilon: z.number().positive(),
  delta: z.number().min(0).max(1),
  partitions: z.number().int().nonnegative().describe('How many partitions the release publishes.'),
  created_at: z.iso.datetime(),
  json: goldPath,
  svg: goldPath,
  png: goldPath,
});

export const indexSchema = z.object({
  schema: z.literal(INDEX_SCHEMA),
  generated_at: z.iso.datetime(),
  report: goldPath.describe('The analysts’ page, report.html.'),
  releases: z.array(indexEntrySchema),
});

export type IndexEntry = z.infer<typeof indexEntrySchema>;
export type GoldIndex = z.infer<typeof indexSchema>;

/** JSON Schemas (draft 2020-12) of the Gold contracts, as published in `schemas/`. */
export function goldJsonSchemas(): {
  'release.schema.json': unknown;
  'index.schema.json': unknown;
  'table-row.schema.json': unknown;
} {
  const withId = (id: string, schema: z.ZodType, title: string): unknown => ({
    $id: `https://dp-pipeline.example/schemas/${id}`,
    title,
    ...(z.toJSONSchema(schema, { io: 'input' }) as object),
  });
  return {
    'release.schema.json': withId('release.schema.json', releaseSchema, RELEASE_SCHEMA),
    'index.schema.json': withId('index.schema.json', indexSchema, INDEX_SCHEMA),
    'table-row.schema.json': withId('table-row.schema.json', tableRowSchema, `${TABLE_SCHEMA} (one row)`),
  };
}

/**
 * Decodes a stored release JSON (a release record or a Gold copy) through `releaseSchema`;
 * `what` names the object in the `DamagedStateError` raised when it does not decode.
 */
const RESTORE_RELEASE =
  'restore it from a backup (a Gold copy is restored from its record by the next run or request)';

export function decodeRelease(text: string, what: string): Release {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DamagedStateError(what, 'not valid JSON', RESTORE_RELEASE, { cause: err });
  }
  const checked = releaseSchema.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new DamagedStateError(
      what,
      `not a ${RELEASE_SCHEMA} release: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      RESTORE_RELEASE,
    );
  }
  return value as Release; // validated above; the schema is deliberately open, the type is the full one
}
