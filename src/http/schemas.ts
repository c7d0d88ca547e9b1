import { z } from 'zod';

/**
 * The wire format of the HTTP API as zod schemas: the handlers validate requests with them, the
 * OpenAPI document (`openapi.ts`) is generated from them, and tests check every response against
 * them. Field names follow the DAU/MAU service this product replaces, so its clients work unchanged.
 */

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
const day = z.string().regex(dayPattern).meta({ description: 'A calendar day YYYY-MM-DD (UTC).' });
const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
  .meta({ description: 'A calendar month YYYY-MM.' });

/** The error codes of the flat error body. */
export const ERROR_CODES = [
  'unauthorized',
  'invalid_request',
  'not_found',
  'payload_too_large',
  'budget_exhausted',
  'data_pending',
  'misconfigured',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Every error answer: `{"error": code, "message": one line, "hint": what to do}`. */
export const errorSchema = z
  .looseObject({
    error: z.enum(ERROR_CODES),
    message: z.string().regex(/^[^\n]*$/),
    hint: z.string(),
  })
  .meta({ id: 'Error' });

const composition = z.enum(['naive', 'zcdp', 'hybrid']);

/** The month's per-person total over every metric. */
export const totalSchema = z
  .object({
    epsilon_cap: z.number(),
    epsilon_spent: z.number(),
    epsilon_remaining: z.number(),
    delta: z.number(),
    delta_cap: z.number(),
    release_count: z.int().nonnegative(),
    composition,
  })
  .meta({ id: 'MonthlyTotal', description: "The month's per-person total over every metric." });

/** A metric's budget in one month, as a snapshot. */
export const budgetSnapshotSchema = z
  .object({
    period: month,
    cap: z.number().meta({ description: 'The metric’s monthly ε cap.' }),
    spent: z.number(),
    remaining: z.number(),
    release_count: z.int().nonnegative(),
    next_reset: day,
    total: totalSchema,
  })
  .meta({ id: 'BudgetSnapshot' });

/** `GET /dau/{day}` and `GET /mau`: a DP estimate and public parameters, never a raw count. */
export const answerSchema = z
  .object({
    day,
    estimate: z.number(),
    lower_95: z.number(),
    upper_95: z.number(),
    epsilon_used: z.number(),
    delta: z.number(),
    mechanism: z.string(),
    noise_scale: z.number(),
    window_days: z.int().positive().nullable().meta({ description: 'MAU window; null for DAU.' }),
    window_start: day.optional(),
    window_end: day.optional(),
    budget_remaining: z.number(),
    budget: budgetSnapshotSchema,
    period: month,
    reused: z.boolean(),
    created_at: z.string(),
    release: z.string(),
    version: z.string(),
    sketch_impl: z.literal('exact'),
  })
  .strict()
  .meta({ id: 'ActiveUsersAnswer' });

const budgetFields = {
  metric: z.enum(['dau', 'mau']),
  period: month,
  epsilon_cap: z.number(),
  epsilon_spent: z.number(),
  epsilon_remaining: z.number(),
  delta: z.number(),
  release_count: z.int().nonnegative(),
  composition: z.enum(['sum', 'zcdp']),
  next_reset: day,
  total: totalSchema,
};

/** `GET /budget/{metric}`. */
export const budgetSchema = z
  .object({
    ...budgetFields,
    day: day.optional(),
    policy: z.object({
      monthly_cap: z.number(),
      composition: z.enum(['sum', 'zcdp']),
      notes: z.string(),
    }),
  })
  .strict()
  .meta({ id: 'Budget' });

/** 429: the budget that ran out; `limit` says which cap (`epsilon_*` describe that cap). */
export const exhaustedSchema = z
  .object({
    error: z.literal('budget_exhausted'),
    message: z.string(),
    hint: z.string(),
    limit: z.enum(['metric', 'total']),
    ...budgetFields,
  })
  .strict()
  .meta({ id: 'BudgetExhausted' });

/** 409: the window's data is not processed yet; `Retry-After` says when to ask again. */
export const pendingSchema = z
  .object({
    error: z.literal('data_pending'),
    message: z.string(),
    hint: z.string(),
    retry_after_seconds: z.int().positive(),
  })
  .strict()
  .meta({ id: 'DataPending' });

/** One activity event: `+` adds activity on `day`, `-` erases the user (all days). */
export const eventSchema = z.object({
  user_id: z.string().trim().min(1, 'a non-empty string is required'),
  op: z.enum(['+', '-'], { error: (i) => `must be "+" or "-", got ${JSON.stringify(i.input) ?? 'nothing'}` }),
  day: z.string().regex(dayPattern, 'must be a date YYYY-MM-DD').optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const MAX_EVENTS = 10_000;

/** `POST /event`: exactly one of `event` and `events`. */
export const eventBodySchema = z
  .object({
    event: eventSchema.optional(),
    events: z
      .array(eventSchema)
      .min(1, 'empty list')
      .max(MAX_EVENTS, `at most ${MAX_EVENTS} per request`)
      .optional(),
  })
  .refine((b) => (b.event === undefined) !== (b.events === undefined), {
    message: 'body must be {"event": {...}} or {"events": [...]}, exactly one of the two',
  })
  .meta({ id: 'EventBody', description: 'Exactly one of `event` and `events`.' });

export const ingestedSchema = z.object({ ingested: z.int().nonnegative() }).strict().meta({ id: 'Ingested' });

/** `POST /erase`. */
export const eraseBodySchema = z
  .strictObject({ user_id: z.string().trim().min(1, 'a non-empty string is required') })
  .meta({ id: 'EraseBody' });

export const eraseAnswerSchema = z.object({ status: z.string() }).strict().meta({ id: 'EraseAccepted' });

export const healthSchema = z
  .object({ status: z.literal('ok'), version: z.string() })
  .strict()
  .meta({ id: 'Health' });

export const openApiSchema = z.looseObject({ openapi: z.string() }).meta({ id: 'OpenApiDocument' });

/** Whether `text` is a real calendar day `YYYY-MM-DD`. */
function isCalendarDay(text: string): boolean {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return dayPattern.test(text) && !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** A day parameter named `field`: a real calendar day, or a message naming the field and value. */
const dayParam = (field: string) =>
  z
    .string({ error: `query parameter ${field}=YYYY-MM-DD is required` })
    .refine(isCalendarDay, { error: (i) => `${field} must be a date YYYY-MM-DD, got '${String(i.input)}'` })
    .meta({ description: 'A calendar day YYYY-MM-DD (UTC).', format: 'date' });

export const dayParams = z.object({ day: dayParam('day') });
export const mauQuery = z.object({
  end: dayParam('end').meta({ description: 'Last day of the window (closed).' }),
  window: z
    .string()
    .regex(/^\d{1,3}$/, { error: (i) => `window must be a whole number of days, got '${String(i.input)}'` })
    .optional()
    .meta({ description: 'Window in days (1–366); default from config (30).' }),
});
export const budgetParams = z.object({
  metric: z.enum(['dau', 'mau'], {
    error: (i) => `metric must be one of dau, mau, got '${String(i.input)}'`,
  }),
});
export const budgetQuery = z.object({
  day: dayParam('day').optional(),
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: (i) => `month must be YYYY-MM, got '${String(i.input)}'` })
    .optional()
    .meta({ description: 'A calendar month YYYY-MM; default this month.' }),
});
