import { z } from 'zod';

/** Silver columns an analysis may partition by (categorical, public vocabularies). */
export const PARTITION_COLUMNS = [
  'continent',
  'country',
  'device_category',
  'browser',
  'channel',
  'traffic_source',
] as const;

/** Silver columns a mean may be computed over (numeric; nulls are skipped). */
export const VALUE_COLUMNS = ['time_on_site_ms', 'pageviews', 'hits', 'transactions'] as const;

const name = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lowercase letters, digits and _ (start with a letter, at most 63)');

const common = {
  name,
  description: z.string().min(1).max(120).describe('What is counted, in plain words (e.g. "Sessions").'),
  partition_by: z.enum(PARTITION_COLUMNS),
  public_partitions: z
    .array(z.string().min(1))
    .min(1)
    .refine((keys) => new Set(keys).size === keys.length, 'public partitions must be distinct')
    .describe('Every key released (with noise, even when empty); rows with other keys are dropped.'),
  epsilon: z.number().positive().max(10),
  max_partitions_contributed: z.number().int().positive().max(1000).default(1),
  max_contributions_per_partition: z.number().int().positive().max(10000).default(1),
  window: z.literal('month').default('month'),
};

const countAnalysis = z.object({ ...common, statistic: z.literal('count') }).strict();

const meanAnalysis = z
  .object({
    ...common,
    statistic: z.literal('mean'),
    value: z.enum(VALUE_COLUMNS),
    bounds: z
      .tuple([z.number().finite(), z.number().finite()])
      .refine(([lo, hi]) => lo < hi, 'bounds must be [lower, upper] with lower < upper'),
    unit: z.string().min(1).max(20),
  })
  .strict();

export const analysisSchema = z.discriminatedUnion('statistic', [countAnalysis, meanAnalysis]);

const epsilonField = (what: string) => z.number().positive().max(10).describe(what);

/** DAU / MAU releases (see `src/active-users/`): per-release budgets, monthly caps, continual series. */
const activeUsersSchema = z
  .object({
    dau: z
      .object({
        epsilon: epsilonField('ε of one daily-active-users release (discrete Laplace, δ = 0).'),
        monthly_epsilon_cap: z
          .number()
          .positive()
          .describe('Most ε the DAU releases (and DAU series) of one calendar month may spend together.'),
      })
      .strict()
      .refine(
        (d) => d.epsilon <= d.monthly_epsilon_cap,
        'dau.epsilon must not exceed dau.monthly_epsilon_cap',
      )
      .default({ epsilon: 0.3, monthly_epsilon_cap: 3 }),
    mau: z
      .object({
        epsilon: epsilonField('ε of one rolling monthly-active-users release (discrete Gaussian, with δ).'),
        delta: z.number().positive().max(1e-3).describe('δ of each MAU release and of the monthly MAU cap.'),
        window_days: z.number().int().min(1).max(366).describe('Default rolling window of MAU, in days.'),
        monthly_epsilon_cap: z
          .number()
          .positive()
          .describe('Most ε (at δ, composed in zCDP) the MAU releases of one calendar month may spend.'),
      })
      .strict()
      .refine(
        (m) => m.epsilon <= m.monthly_epsilon_cap,
        'mau.epsilon must not exceed mau.monthly_epsilon_cap',
      )
      .default({ epsilon: 0.5, delta: 1e-6, window_days: 30, monthly_epsilon_cap: 3.5 }),
    series: z
      .object({
        epsilon: epsilonField('ε of one month-long continual-release series (DAU or MAU), tree mechanism.'),
        dau_max_flippancy: z
          .number()
          .int()
          .min(2)
          .max(366)
          .multipleOf(
            2,
            'must be even, so a truncated user is frozen absent rather than counted on every later day',
          )
          .describe(
            "w for the DAU series: changes of a user's daily presence kept; later ones are truncated.",
          ),
        mau_max_flippancy: z
          .number()
          .int()
          .min(2)
          .max(366)
          .multipleOf(
            2,
            'must be even, so a truncated user is frozen absent rather than counted on every later day',
          )
          .describe("w for the MAU series: entries/exits of a user's rolling-window presence kept."),
      })
      .strict()
      .default({ epsilon: 1, dau_max_flippancy: 8, mau_max_flippancy: 4 }),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    budget: z
      .object({
        monthly_epsilon_cap: z
          .number()
          .positive()
          .describe('Most ε all Gold releases covering one calendar month may spend together.'),
      })
      .strict(),
    lateness_days: z
      .number()
      .int()
      .min(0)
      .max(365)
      .default(2)
      .describe('A window is released only this many days after it closes.'),
    max_line_bytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Bronze lines longer than this are quarantined unread.'),
    analyses: z
      .array(analysisSchema)
      .min(1)
      .refine(
        (list) => new Set(list.map((a) => a.name)).size === list.length,
        'analysis names must be unique',
      ),
    active_users: activeUsersSchema.default({
      dau: { epsilon: 0.3, monthly_epsilon_cap: 3 },
      mau: { epsilon: 0.5, delta: 1e-6, window_days: 30, monthly_epsilon_cap: 3.5 },
      series: { epsilon: 1, dau_max_flippancy: 8, mau_max_flippancy: 4 },
    }),
  })
  .strict();

export type ActiveUsersConfig = z.infer<typeof activeUsersSchema>;
export type PipelineConfig = z.infer<typeof configSchema>;
export type AnalysisConfig = z.infer<typeof analysisSchema>;
export type CountAnalysisConfig = z.infer<typeof countAnalysis>;
export type MeanAnalysisConfig = z.infer<typeof meanAnalysis>;

/** The JSON Schema of the config file, for editors (`"$schema"` in the file). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input' });
}
