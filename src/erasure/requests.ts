import type { Pseudonym } from '../silver/pseudonym.js';
import type { Lake, TableEntity } from '../storage/index.js';

/** Partition of the `erasures` table; the row key is the user's link pseudonym. */
export const ERASURE_PARTITION = 'user';

/**
 * One erasure request as stored: only pseudonyms (the link and one per key version known when
 * it was requested), never the raw id. Kept after processing so late data can be dropped.
 */
export interface ErasureEntity extends TableEntity {
  readonly partitionKey: typeof ERASURE_PARTITION;
  /** The link pseudonym. */
  readonly rowKey: string;
  /** JSON object `{ "<version>": "<pseudonym>" }`. */
  readonly pseudonyms: string;
  readonly status: 'pending' | 'done';
  readonly requested_at: string;
  readonly processed_at: string | null;
  /** `cli`, `http`, `event` or `bronze:<key>`: where the request came from (never the id). */
  readonly source: string;
}

export interface ErasureRecord {
  readonly link: Pseudonym;
  readonly versions: Readonly<Record<string, Pseudonym>>;
  readonly status: 'pending' | 'done';
  readonly etag: string;
}

/** Every erasure request, pending or done. */
export async function listErasures(lake: Lake): Promise<ErasureRecord[]> {
  const out: ErasureRecord[] = [];
  for await (const { entity, etag } of lake.tables('erasures').list<ErasureEntity>(ERASURE_PARTITION)) {
    out.push({
      link: entity.rowKey as Pseudonym,
      versions: JSON.parse(entity.pseudonyms) as Record<string, Pseudonym>,
      status: entity.status,
      etag,
    });
  }
  return out;
}

/** The link pseudonyms of every erased user (pending or done): excluded from every count. */
export async function erasedLinks(lake: Lake): Promise<Set<string>> {
  return new Set((await listErasures(lake)).map((e) => e.link));
}
