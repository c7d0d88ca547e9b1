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

/** Silver columns a value statistic may be computed over (numeric, ≥ 0; a null is 0 or skipped, per `missing_value`). */
export const VALUE_COLUMNS = ['time_on_site_ms', 'pageviews', 'hits', 'transactions'] as const;

/** Every statistic the config language has. */
export const STATISTICS = ['count', 'sum', 'mean', 'variance', 'privacy_id_count', 'quantiles'] as const;
export type StatisticName = (typeof STATISTICS)[number];

/** Statistics computed over `value` (they need `value`, `bounds` and `unit`). */
export const VALUE_STATISTICS: ReadonlySet<StatisticName> = new Set(['sum', 'mean', 'variance', 'quantiles']);

/**
 * What this build's DP engine can release, per noise kind. A config asking for anything else is
 * rejected with a one-line message rather than silently ignored.
 */
export const AVAILABLE: {
  readonly statistics: Readonly<Record<'laplace' | 'gaussian', ReadonlySet<StatisticName>>>;
  readonly partitionSelection: boolean;
  readonly perUserTotal: boolean;
} = {
  statistics: {
    laplace: new Set<StatisticName>(STATISTICS),
    gaussian: new Set<StatisticName>(STATISTICS),
  },
  partitionSelection: true,
  perUserTotal: true,
};

/**
 * Names an analysis may not take: the active-user releases' own records and Gold files
 * (`dau`, `mau`, `dau_series`, `mau_series`) and the all-analyses table `gold/tables/releases.*`.
 * An analysis so named would share their release records and Gold keys.
 */
export const RESERVED_ANALYSIS_NAMES: readonly string[] = [
  'dau',
  'mau',
  'dau_series',
  'mau_series',
  'releases',
];

const name = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lowercase letters, digits and _ (start with a letter, at most 63)')
  .refine((n) => !RESERVED_ANALYSIS_NAMES.includes(n), {
    error: (issue) =>
      `'${String(issue.input)}' is reserved (${RESERVED_ANALYSIS_NAMES.join(', ')} name the active-user releases and the releases table): choose another name`,
  });

const probability = z.number().gt(0).lt(1);

const analysisInput = z
  .object({
    name,
    description: z.string().min(1).max(120).describe('What is counted, in plain words (e.g. "Sessions").'),
    statistics: z
      .array(z.enum(STATISTICS))
      .min(1)
      .refine((s) => new Set(s).size === s.length, 'statistics must be distinct')
      .optional()
      .describe(
        'What to release per partition; all share one contribution-bounding pass and split the budget.',
      ),
    statistic: z
      .enum(['count', 'mean'])
      .optional()
      .describe('Deprecated single-statistic form; same as "statistics": [statistic].'),
    quantiles: z
      .array(probability)
      .min(1)
      .max(20)
      .refine((q) => q.every((x, i) => i === 0 || x > q[i - 1]!), 'quantiles must be increasing')
      .optional()
      .describe('Quantile ranks to release with "quantiles", e.g. [0.5, 0.9].'),
    partition_by: z.enum(PARTITION_COLUMNS),
    public_partitions: z
      .array(z.string().min(1))
      .min(1)
      .refine((keys) => new Set(keys).size === keys.length, 'public partitions must be distinct')
      .optional()
      .describe('Every key released (with noise, even when empty); rows with other keys are dropped.'),
    partition_selection: z
      .object({
        delta: probability.describe('δ spent on choosing which keys to release.'),
        strategy: z.enum(['truncated_geometric', 'laplace_threshold']).default('truncated_geometric'),
      })
      .strict()
      .optional()
      .describe('Keys are not public: release only keys chosen by DP partition selection.'),
    value: z.enum(VALUE_COLUMNS).optional(),
    bounds: z
      .union([
        z.literal('auto'),
        z
          .tuple([z.number().finite(), z.number().finite()])
          .refine(([lo, hi]) => lo < hi, 'bounds must be [lower, upper] with lower < upper'),
      ])
      .optional()
      .describe(
        'Every value is clamped to [lower, upper] before aggregation; "auto": [0, upper] with the upper bound chosen privately per window (bounds_selection).',
      ),
    missing_value: z
      .enum(['zero', 'exclude'])
      .default('zero')
      .describe(
        'A row whose value is missing (e.g. a bounce has no duration): "zero" counts it as 0 (GA\'s definition of averages per session), "exclude" leaves it out.',
      ),
    bounds_selection: z
      .object({
        epsilon_share: z
          .number()
          .min(0.01)
          .max(0.5)
          .default(0.1)
          .describe(
            'Share of the analysis\'s ε spent choosing its "auto" bounds (the rest goes to the statistics).',
          ),
      })
      .strict()
      .default({ epsilon_share: 0.1 })
      .describe(
        'How "auto" bounds are chosen: DP histograms of the contribution profile, minimising bias + noise.',
      ),
    unit: z.string().min(1).max(20).optional(),
    epsilon: z.number().positive().max(10).optional(),
    delta: z.number().min(0).lt(1).optional().describe('δ of the statistics (Gaussian noise needs δ > 0).'),
    weight: z
      .number()
      .positive()
      .optional()
      .describe(
        'Instead of epsilon: this share (relative to other weights) of the monthly budget left over.',
      ),
    noise: z.enum(['laplace', 'gaussian']).default('laplace'),
    max_partitions_contributed: z
      .union([z.literal('auto'), z.number().int().positive().max(1000)])
      .default(1)
      .describe('L0: partitions one user contributes to per window; "auto": chosen privately per window.'),
    max_contributions_per_partition: z
      .union([z.literal('auto'), z.number().int().positive().max(10000)])
      .default(1)
      .describe(
        'Linf: rows one user contributes to one partition per window; "auto": chosen privately per window.',
      ),
    max_contributions: z
      .number()
      .int()
      .positive()
      .max(1_000_000)
      .optional()
      .describe('Per-user total rows across all partitions (in addition to L0 and Linf).'),
    window: z.literal('month').default('month'),
  })
  .strict();

const analysisSchema = analysisInput
  .superRefine((a, ctx) => {
    const fail = (path: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [path], message });
    };
    if (a.statistic !== undefined && a.statistics !== undefined) {
      fail('statistic', 'give either "statistic" or "statistics", not both');
    }
    const stats = a.statistics ?? (a.statistic ? [a.statistic] : []);
    if (stats.length === 0) fail('statistics', 'required: one or more of ' + STATISTICS.join(', '));
    const needsValue = stats.filter((s) => VALUE_STATISTICS.has(s));
    if (needsValue.length > 0) {
      for (const field of ['value', 'bounds', 'unit'] as const) {
        if (a[field] === undefined) fail(field, `required by ${needsValue.join(', ')}`);
      }
    } else {
      for (const field of ['value', 'bounds', 'unit'] as const) {
        if (a[field] !== undefined)
          fail(field, `only used by ${[...VALUE_STATISTICS].join(', ')}; remove it`);
      }
    }
    if (stats.includes('quantiles') && a.quantiles === undefined) {
      fail('quantiles', 'required by "quantiles": the ranks to release, e.g. [0.5, 0.9]');
    }
    if (!stats.includes('quantiles') && a.quantiles !== undefined) {
      fail('quantiles', 'only used with the "quantiles" statistic; add it to statistics or remove this');
    }
    if ((a.public_partitions === undefined) === (a.partition_selection === undefined)) {
      fail(
        'public_partitions',
        'give exactly one of public_partitions (keys known in advance) or partition_selection (keys chosen privately)',
      );
    }
    if ((a.epsilon === undefined) === (a.weight === undefined)) {
      fail('epsilon', 'give exactly one of epsilon or weight (a share of the monthly budget)');
    }
    if (a.weight !== undefined && a.delta !== undefined) {
      fail('delta', 'with weight, δ is also a share of budget.monthly_delta_cap; remove delta');
    }
    if (a.noise === 'gaussian' && a.epsilon !== undefined && !(a.delta !== undefined && a.delta > 0)) {
      fail('delta', 'Gaussian noise needs delta > 0 (e.g. 1e-6), or use "noise": "laplace"');
    }
    for (const s of stats) {
      if (!AVAILABLE.statistics[a.noise].has(s)) {
        fail('statistics', `${s} with ${a.noise} noise is not available in this build`);
      }
    }
    if (a.partition_selection !== undefined && !AVAILABLE.partitionSelection) {
      fail(
        'partition_selection',
        'private partition selection is not available in this build; list public_partitions',
      );
    }
    const auto =
      a.bounds === 'auto' ||
      a.max_partitions_contributed === 'auto' ||
      a.max_contributions_per_partition === 'auto';
    if (auto && a.max_contributions !== undefined) {
      fail(
        'max_contributions',
        'a per-user total cannot be combined with "auto" bounds; give fixed L0 and Linf or remove it',
      );
    }
    if (a.max_contributions !== undefined && !AVAILABLE.perUserTotal) {
      fail('max_contributions', 'a per-user total bound is not available in this build; remove it');
    }
  })
  .transform(({ statistic, statistics, ...rest }) => ({
    ...rest,
    statistics: statistics ?? [statistic ?? 'count'],
  }));

export { analysisSchema };

const epsilonField = (what: string) => z.number().positive().max(10).describe(what);
/** A continual-release series' flippancy bound w: even, so a truncated user is frozen absent. */
const flippancyField = (what: string) =>
  z
    .number()
    .int()
    .min(2)
    .max(366)
    .multipleOf(
      2,
      'must be even, so a truncated user is frozen absent rather than counted on every later day',
    )
    .describe(what);

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
        dau_max_flippancy: flippancyField(
          "w for the DAU series: changes of a user's daily presence kept; later ones are truncated.",
        ),
        mau_max_flippancy: flippancyField(
          "w for the MAU series: entries/exits of a user's rolling-window presence kept.",
        ),
      })
      .strict()
      .default({ epsilon: 1, dau_max_flippancy: 8, mau_max_flippancy: 4 }),
  })
  .strict();

/**
 * Default per-person monthly total: the built-in analyses (ε = 4, δ = 1e-6 of partition
 * selection) plus a month of typical DAU/MAU use compose to well under it (docs/privacy.md, "Budget").
 */
export const TOTAL_EPSILON_CAP = 8;
export const TOTAL_DELTA_CAP = 1e-5;

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
        monthly_delta_cap: z
          .number()
          .min(0)
          .lt(1)
          .default(0)
          .describe('Most δ all Gold releases covering one calendar month may spend together.'),
        accounting: z
          .enum(['naive', 'zcdp'])
          .default('naive')
          .describe('How releases compose: naive (ε and δ add up) or zcdp (ρ adds up, converted to (ε, δ)).'),
        total_monthly_epsilon_cap: z
          .number()
          .positive()
          .default(TOTAL_EPSILON_CAP)
          .describe(
            'The per-person monthly guarantee: most ε that every release of one calendar month (Gold analyses, utility, DAU, MAU) may spend together, composed with the best valid statement.',
          ),
        total_monthly_delta_cap: z
          .number()
          .min(0)
          .lt(1)
          .default(TOTAL_DELTA_CAP)
          .describe(
            'δ of the per-person monthly guarantee: most δ every release of one calendar month may spend together.',
          ),
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
      .max(4 * 1024 ** 3)
      .default(256 * 1024 * 1024)
      .describe(
        "Bronze NDJSON lines longer than this are quarantined as line_too_long. The default, 256 MiB, covers BigQuery's largest row (100 MB) exported as JSON. A GA360 session's hits array is skipped while reading, so memory stays bounded however long the line; the rest of the line, like a .json item (staged whole), must fit in 4 MiB (or in this limit, if lower).",
      ),
    max_blob_bytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .max(2 ** 40)
      .default(1024 ** 3)
      .describe(
        'Most bytes one Bronze blob may hold once decompressed. A blob past it is read no further and quarantined whole as one blob_too_large record, so scratch disk per blob stays bounded.',
      ),
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
  .strict()
  .superRefine((c, ctx) => {
    if (c.budget.accounting === 'zcdp' && c.budget.monthly_delta_cap === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['budget', 'monthly_delta_cap'],
        message: 'zcdp accounting states its guarantee as (ε, δ): set monthly_delta_cap > 0 (e.g. 1e-6)',
      });
    }
    const explicit = c.analyses.reduce((acc, a) => acc + (a.epsilon ?? 0), 0);
    const weighted = c.analyses.some((a) => a.weight !== undefined);
    if (weighted && c.budget.accounting === 'naive' && explicit >= c.budget.monthly_epsilon_cap) {
      ctx.addIssue({
        code: 'custom',
        path: ['budget', 'monthly_epsilon_cap'],
        message: `analyses with an explicit epsilon already spend ε=${explicit}, leaving nothing for the weighted ones`,
      });
    }
  });

export type ActiveUsersConfig = z.infer<typeof activeUsersSchema>;
export type PipelineConfig = z.infer<typeof configSchema>;
export type AnalysisConfig = z.infer<typeof analysisSchema>;

/** The JSON Schema of the config file, for editors (`"$schema"` in the file). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input' });
}
