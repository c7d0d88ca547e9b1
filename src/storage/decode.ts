import { z } from 'zod';
import { DamagedStateError } from '../errors.js';
import type { ObjectStore, TableName, TableStore } from './types.js';

/**
 * What a stored value is and what to do when it cannot be decoded: the words of a
 * {@link DamagedStateError}.
 */
export interface StoredObject {
  /** Names it so an operator can find it, e.g. `run report /lake/private/runs/<run>.json`. */
  readonly object: string;
  /** What to do: restore it, or delete it and what deleting it costs. */
  readonly remedy: string;
}

/**
 * Decodes a stored value through its schema; anything else raises `DamagedStateError` naming
 * `where`. The one way stored JSON becomes a typed value (never `JSON.parse(…) as T`).
 *
 * @example
 * ```ts
 * const report = decodeStored(runReportSchema, JSON.parse(text), { object: 'run report …', remedy: '…' });
 * ```
 */
export function decodeStored<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: StoredObject,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new DamagedStateError(where.object, describeIssues(result.error), where.remedy);
}

/** `decodeStored` of JSON text: text that is not JSON is damaged too. */
export function decodeStoredJson<S extends z.ZodType>(
  schema: S,
  text: string,
  where: StoredObject,
): z.output<S> {
  return decodeStored(schema, parseStoredJson(text, where), where);
}

/** `JSON.parse`, raising `DamagedStateError` naming `where` when the text is not JSON. */
export function parseStoredJson(text: string, where: StoredObject): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DamagedStateError(where.object, jsonProblem(text, err), where.remedy);
  }
}

/** The value of one entity property, as every backend stores it. */
export const entityValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Any entity: string keys, scalar properties. What adapters check before handing one out. */
export const tableEntitySchema = z
  .object({ partitionKey: z.string(), rowKey: z.string() })
  .catchall(entityValueSchema);

/**
 * The schema of a table's entities: the keys, `fields` (which may narrow the keys too), and any
 * other property kept as it is, so a read-modify-write never drops a property a newer writer added.
 *
 * @example
 * ```ts
 * const checkpointSchema = entitySchema({ etag: z.string(), status: z.enum(['processed', 'ignored']) });
 * ```
 */
export function entitySchema<Shape extends z.ZodRawShape>(fields: Shape) {
  return tableEntitySchema.extend(fields);
}

/**
 * What deleting a damaged entity of each table costs, said to the operator. One place, so the
 * adapters (which cannot tell what an entity means) and the modules that decode the entities say
 * the same thing.
 */
const TABLE_REMEDIES: Readonly<Record<TableName, string>> = {
  checkpoints:
    "restore it from a backup, or delete it to reset that checkpoint: a Bronze blob's row (bronze, <blob>) the next run restores from the latest run report, or else reads that blob again (its sessions already in Silver then count as duplicates); the scan claim (scan, claim) the next scan takes afresh, so delete it only when no job is running",
  budget:
    'restore it from a backup; do not delete it: that forgets the privacy budget already spent in that period and lets later releases exceed the cap',
  releases:
    'delete it: the row only records a published release, and the next run adds it back from Gold for the analyses',
  erasures:
    "restore it from a backup; deleting it forgets that erasure request (the user's late data would no longer be dropped), so after deleting it erase the user again with `dp-pipeline erase`",
};

/**
 * The entity `(partitionKey, rowKey)` of `table` as a damaged object: table, partition and row,
 * its file when the table is local (`file`, else the store's `localPath`), and what to do.
 */
export function storedEntity(
  table: TableStore | TableName,
  partitionKey: string,
  rowKey: string,
  file = typeof table === 'string' ? undefined : table.localPath?.(partitionKey, rowKey),
): StoredObject {
  const name = typeof table === 'string' ? table : table.table;
  return {
    object: `${name} entity (${partitionKey}, ${rowKey})${file === undefined ? '' : ` in ${file}`}`,
    remedy: TABLE_REMEDIES[name],
  };
}

/** Object `key` of `store` as a damaged object called `what` (e.g. `run report`), with `remedy`. */
export function storedFile(store: ObjectStore, key: string, what: string, remedy: string): StoredObject {
  return { object: `${what} ${store.localPath?.(key) ?? `${store.container}/${key}`}`, remedy };
}

/** The first issue in one line, naming the field but never its value (it may be a key or a pseudonym). */
function describeIssues(error: z.ZodError): string {
  const [first] = error.issues;
  if (!first) return 'does not match its schema';
  const field = first.path.length > 0 ? `field ${first.path.map(String).join('.')}` : 'the value';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${field}: ${first.message.replace(/\s+/g, ' ')}${more}`;
}

/** Why text is not JSON, without quoting it (`JSON.parse` messages quote the text). */
function jsonProblem(text: string, err: unknown): string {
  if (text.trim() === '') return 'empty';
  const message = err instanceof Error ? err.message : '';
  const at = /at position (\d+)/.exec(message)?.[1];
  if (/end of JSON input/i.test(message) || Number(at) >= text.trimEnd().length)
    return 'not valid JSON: it ends early, as if truncated';
  return at === undefined
    ? 'not valid JSON'
    : `not valid JSON at character ${Number(at) + 1} of ${text.length}`;
}
