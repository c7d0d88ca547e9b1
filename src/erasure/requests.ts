import { z } from 'zod';
import { pseudonymSchema, type Pseudonym } from '../silver/pseudonym.js';
import {
  decodeStored,
  decodeStoredJson,
  entitySchema,
  storedEntity,
  type Lake,
  type StoredEntity,
  type TableStore,
} from '../storage/index.js';

/** Partition of the `erasures` table; the row key is the user's link pseudonym. */
export const ERASURE_PARTITION = 'user';

/**
 * One erasure request as stored: only pseudonyms (the link and one per key version known when
 * it was requested), never the raw id. Kept after processing so late data can be dropped.
 */
const erasureEntitySchema = entitySchema({
  partitionKey: z.literal(ERASURE_PARTITION),
  /** The link pseudonym. */
  rowKey: pseudonymSchema,
  /** JSON object `{ "<version>": "<pseudonym>" }`. */
  pseudonyms: z.string(),
  status: z.enum(['pending', 'done']),
  requested_at: z.iso.datetime(),
  processed_at: z.iso.datetime().nullable(),
  /** `cli`, `http`, `event` or `bronze:<key>`: where the request came from (never the id). */
  source: z.string(),
});

/** An erasure entity as written (read back, its link is checked to be a pseudonym). */
export type ErasureEntity = z.input<typeof erasureEntitySchema>;

/** The `pseudonyms` property: one pseudonym per key version. */
const versionsSchema = z.record(z.string().min(1), pseudonymSchema);

export interface ErasureRecord {
  readonly link: Pseudonym;
  readonly versions: Readonly<Record<string, Pseudonym>>;
  readonly status: 'pending' | 'done';
  readonly etag: string;
}

/** A stored erasure request: the entity as read (for ETag-guarded updates) and what it says. */
export interface StoredErasure {
  readonly entity: ErasureEntity;
  readonly record: ErasureRecord;
}

/** The erasure request of link pseudonym `link`, if any. Raises `DamagedStateError`. */
export async function readErasure(lake: Lake, link: string): Promise<StoredErasure | undefined> {
  const table = lake.tables('erasures');
  const stored = await table.get(ERASURE_PARTITION, link);
  return stored && decodeErasure(table, stored);
}

/** Every erasure request, pending or done. Raises `DamagedStateError`. */
export async function listErasures(lake: Lake): Promise<ErasureRecord[]> {
  const table = lake.tables('erasures');
  const out: ErasureRecord[] = [];
  for await (const stored of table.list(ERASURE_PARTITION)) out.push(decodeErasure(table, stored).record);
  return out;
}

function decodeErasure(table: TableStore, stored: StoredEntity): StoredErasure {
  const where = storedEntity(table, ERASURE_PARTITION, stored.entity.rowKey);
  const entity = decodeStored(erasureEntitySchema, stored.entity, where);
  const versions = decodeStoredJson(versionsSchema, entity.pseudonyms, {
    ...where,
    object: `${where.object}, property pseudonyms`,
  });
  return {
    entity,
    record: { link: entity.rowKey, versions, status: entity.status, etag: stored.etag },
  };
}

/** The link pseudonyms of every erased user (pending or done): excluded from every count. */
export async function erasedLinks(lake: Lake): Promise<Set<string>> {
  return new Set((await listErasures(lake)).map((e) => e.link));
}
