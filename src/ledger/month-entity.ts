import { z } from 'zod';
import { rhoForEpsilonDelta } from '../dp/index.js';
import { DamagedStateError, UserError } from '../errors.js';
import type { TableEntity } from '../storage/index.js';
import { zcdpCost, type CostPart, type PrivacyCost } from './cost.js';
import { LEDGER_METRICS, type LedgerMetric } from './policy.js';

/**
 * How one calendar month of the ledger is stored: one `budget` table entity, partition
 * `month`, row `YYYY-MM`, holding every metric's charges (release id → metric + cost) as JSON,
 * so one ETag guards a charge against every cap of the month at once.
 *
 * Azure Tables caps a string property at 64 KiB (32K UTF-16 code units) and an entity at 1 MiB,
 * so the JSON is spread over `charges_0`, `charges_1`, … of at most {@link CHUNK_CHARS}
 * characters each, and at most {@link MAX_CHUNKS} of them (≈ 940 KiB as UTF-16): about 3,500
 * charges of a MAU release, 6,000 of a DAU one.
 */
export const MONTH_PARTITION = 'month';
export const MONTH_SCHEMA = 'dp-pipeline/budget-month@1';
export const CHUNK_CHARS = 30_000;
export const MAX_CHUNKS = 16;

/** One release's charge to one month. */
export interface StoredCharge {
  readonly metric: LedgerMetric;
  readonly cost: PrivacyCost;
}

/** A month's charges by release id, in the order they were made. */
export type MonthCharges = Readonly<Record<string, StoredCharge>>;

const nonNegative = z.number().finite().min(0);
const delta = z.number().min(0).lt(1);

const costPartSchema = z.discriminatedUnion('measure', [
  z.object({ measure: z.literal('pure'), epsilon: nonNegative }),
  z.object({ measure: z.literal('zcdp'), rho: nonNegative, epsilon: nonNegative, delta }),
  z.object({ measure: z.literal('approx'), epsilon: nonNegative, delta }),
]);

const chargesSchema = z.record(
  z.string().min(1),
  z.object({ metric: z.enum(LEDGER_METRICS), cost: z.array(costPartSchema) }),
);

const monthEntitySchema = z.looseObject({
  schema: z.literal(MONTH_SCHEMA),
  charges_chunks: z.number().int().min(0).max(MAX_CHUNKS),
});

/** Main's per-metric entity (partition = metric, row = month): release id → pure ε or the old cost. */
const legacyChargesSchema = z.record(
  z.string(),
  z.union([
    nonNegative,
    z.object({
      epsilon: nonNegative,
      delta: delta.optional(),
      zcdp: z.object({ rho: nonNegative, epsilon: nonNegative, delta }).optional(),
    }),
  ]),
);

/** The entity of `period` holding `charges`; refuses (with a `UserError`) more than one entity holds. */
export function encodeMonth(period: string, charges: MonthCharges): TableEntity {
  const json = JSON.stringify(charges);
  const chunks: string[] = [];
  for (let at = 0; at < json.length;) {
    let end = Math.min(json.length, at + CHUNK_CHARS);
    // Never split a surrogate pair across two properties.
    if (end < json.length && /[\uD800-\uDBFF]/.test(json[end - 1]!)) end--;
    chunks.push(json.slice(at, end));
    at = end;
  }
  if (chunks.length > MAX_CHUNKS) {
    throw new UserError(
      `the budget ledger of ${period} would hold ${Object.keys(charges).length} charges, more than one table entity can store (1 MiB); no further release of ${period} can be recorded: use fewer releases with more ε each`,
    );
  }
  const entity: Record<string, string | number> = {
    partitionKey: MONTH_PARTITION,
    rowKey: period,
    schema: MONTH_SCHEMA,
    charge_count: Object.keys(charges).length,
    charges_chunks: chunks.length,
  };
  chunks.forEach((c, i) => (entity[`charges_${i}`] = c));
  return entity as TableEntity;
}

/** The charges a month entity holds; a damaged entity is a one-line `DamagedStateError` saying what to do. */
export function decodeMonth(entity: TableEntity): MonthCharges {
  const where = `budget table entity (${entity.partitionKey}, ${entity.rowKey})`;
  const head = monthEntitySchema.safeParse(entity);
  if (!head.success) throw damaged(where, fieldProblem(head.error));
  let json = '';
  for (let i = 0; i < head.data.charges_chunks; i++) {
    const chunk = entity[`charges_${i}`];
    if (typeof chunk !== 'string') throw damaged(where, `charges_${i} is missing`);
    json += chunk;
  }
  if (json === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw damaged(where, 'charges_* do not join into valid JSON');
  }
  const parsed = chargesSchema.safeParse(raw);
  if (!parsed.success) throw damaged(where, `charges: ${fieldProblem(parsed.error)}`);
  return parsed.data;
}

/**
 * The charges of a per-metric entity written by earlier versions (partition = metric, row =
 * month), as costs of today's ledger, so nothing already spent is forgotten:
 * - a number is a pure ε (analyses, utility, DAU) — except for `mau`, where earlier versions
 *   stored each release's growth of the month's ε at δ = `mauDelta`: the ρ spent is recovered
 *   from the running total S as ρ(S) = the largest ρ with ε(ρ, δ) ≤ S (raised by 1e-9 so rounding
 *   never under-counts), and each release gets ρ(Sₖ) − ρ(Sₖ₋₁). Those totals were never below
 *   the ε of the true ρ, so neither is ρ(S) below it;
 * - an object `{ epsilon, delta?, zcdp? }` splits as its noise (ρ, with the release's own (ε, δ)
 *   less partition selection's) and partition selection (approx).
 */
export function decodeLegacy(metric: LedgerMetric, entity: TableEntity, mauDelta: number): MonthCharges {
  const where = `budget table entity (${entity.partitionKey}, ${entity.rowKey})`;
  const text = entity.charges;
  if (text === undefined || text === null || text === '') return {};
  if (typeof text !== 'string') throw damaged(where, 'charges is not a string');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw damaged(where, 'charges is not valid JSON');
  }
  const parsed = legacyChargesSchema.safeParse(raw);
  if (!parsed.success) throw damaged(where, `charges: ${fieldProblem(parsed.error)}`);
  const out: Record<string, StoredCharge> = {};
  let total = 0;
  let rhoBefore = 0;
  for (const [id, c] of Object.entries(parsed.data)) {
    if (typeof c === 'number' && metric === 'mau') {
      total += c;
      const rhoAfter = Math.max(rhoBefore, total > 0 ? rhoForEpsilonDelta(total, mauDelta) * (1 + 1e-9) : 0);
      const rho = rhoAfter - rhoBefore;
      rhoBefore = rhoAfter;
      out[id] = { metric, cost: rho > 0 ? zcdpCost(rho, mauDelta) : [] };
    } else if (typeof c === 'number') {
      out[id] = { metric, cost: c > 0 ? [{ measure: 'pure', epsilon: c }] : [] };
    } else {
      out[id] = { metric, cost: legacyCost(c) };
    }
  }
  return out;
}

function legacyCost(c: {
  epsilon: number;
  delta?: number | undefined;
  zcdp?: { rho: number; epsilon: number; delta: number } | undefined;
}): PrivacyCost {
  const d = c.delta ?? 0;
  if (!c.zcdp) {
    if (c.epsilon === 0) return [];
    return [
      d === 0 ? { measure: 'pure', epsilon: c.epsilon } : { measure: 'approx', epsilon: c.epsilon, delta: d },
    ];
  }
  const parts: CostPart[] = [];
  if (c.zcdp.rho > 0) {
    parts.push({
      measure: 'zcdp',
      rho: c.zcdp.rho,
      epsilon: Math.max(0, c.epsilon - c.zcdp.epsilon),
      delta: Math.max(0, d - c.zcdp.delta),
    });
  }
  if (c.zcdp.epsilon > 0) parts.push({ measure: 'approx', epsilon: c.zcdp.epsilon, delta: c.zcdp.delta });
  return parts;
}

function damaged(where: string, problem: string): DamagedStateError {
  return new DamagedStateError(
    where,
    problem,
    "restore it from a backup; deleting it forgets what the month spent, which weakens the month's guarantee",
  );
}

function fieldProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  return `${issue.path.length > 0 ? issue.path.join('.') : '(entity)'}: ${issue.message}`;
}
