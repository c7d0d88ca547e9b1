import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, DamagedStateError } from '../errors.js';
import type { Release } from '../gold/release.js';
import { decodeRelease } from '../gold/schema.js';
import {
  goldReleaseKeys,
  parseReleaseRecordKey,
  RELEASE_RECORDS_PREFIX,
  releaseRecordKey,
} from '../lake/index.js';
import { decodeStored, entitySchema, storedEntity, type Lake } from '../storage/index.js';

/** One release as recorded: the exact text published to Gold, its hash, and its decoded form. */
export interface ReleaseRecord {
  readonly analysis: string;
  readonly windowId: string;
  /** The exact bytes (UTF-8) of the release JSON; Gold holds a copy of these. */
  readonly text: string;
  readonly sha256: string;
  readonly release: Release;
}

/**
 * A row of the `releases` table, keyed by analysis (partition) and window (row): the record's
 * SHA-256 and key, which run released it, when, at what ε, and where its Gold JSON is. Rows
 * written before records carry no hash; `ensureRow` completes them. A row that does not decode is
 * damaged (`DamagedStateError`; deleting it is safe: it is rebuilt from the record).
 */
const releaseRowSchema = entitySchema({
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  record: z.string().min(1).optional(),
  run_id: z.string().min(1),
  epsilon: z.number().positive(),
  created_at: z.iso.datetime(),
  /** The release JSON, relative to `gold/`. */
  path: z.string().min(1),
});
export type ReleaseRow = z.output<typeof releaseRowSchema>;

/** The `releases` row of (`analysis`, `windowId`), if any. Raises `DamagedStateError`. */
export async function readReleaseRow(
  lake: Lake,
  analysis: string,
  windowId: string,
): Promise<ReleaseRow | undefined> {
  const table = lake.tables('releases');
  const stored = await table.get(analysis, windowId);
  return stored && decodeStored(releaseRowSchema, stored.entity, storedEntity(table, analysis, windowId));
}

export function sha256Of(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The canonical text of a release: what the record holds and Gold publishes. */
export function releaseText(release: Release): string {
  return JSON.stringify(release, null, 2) + '\n';
}

/**
 * The release records: `private/releases/<analysis>/<window>.json` (create-only) plus a row in the
 * `releases` table with its SHA-256. A record is written before anything is published, and never
 * replaced: it is the authority Gold is restored from.
 */
export class ReleaseRecords {
  constructor(private readonly lake: Lake) {}

  /** The record of (analysis, window), if one exists; a record whose hash does not match its row is damaged. */
  async get(analysis: string, windowId: string): Promise<ReleaseRecord | undefined> {
    const key = releaseRecordKey(analysis, windowId);
    const store = this.lake.objects('private');
    if ((await store.head(key)) === undefined) return undefined;
    return this.load(analysis, windowId, (await store.read(key)).toString('utf8'));
  }

  /**
   * Records a release once. When a record already exists (another caller won a race, or a crashed
   * attempt recorded it), that record is returned instead, with `created: false`.
   */
  async create(
    analysis: string,
    windowId: string,
    release: Release,
  ): Promise<{ record: ReleaseRecord; created: boolean }> {
    const text = releaseText(release);
    try {
      await this.lake.objects('private').write(releaseRecordKey(analysis, windowId), text, {
        ifNoneMatch: '*',
        contentType: 'application/json',
      });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const existing = await this.get(analysis, windowId);
      if (!existing) throw err;
      return { record: existing, created: false };
    }
    const record: ReleaseRecord = { analysis, windowId, text, sha256: sha256Of(text), release };
    await this.writeRow(record);
    return { record, created: true };
  }

  /** Records an already published text as is (lakes from before records); false if a record exists. */
  async adopt(analysis: string, windowId: string, text: string, release: Release): Promise<boolean> {
    try {
      await this.lake.objects('private').write(releaseRecordKey(analysis, windowId), text, {
        ifNoneMatch: '*',
        contentType: 'application/json',
      });
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
    await this.writeRow({ analysis, windowId, text, sha256: sha256Of(text), release });
    return true;
  }

  /** Adds the table row of a record that lacks one (a crash between the record and its row, or a row from before records). */
  async ensureRow(record: ReleaseRecord): Promise<boolean> {
    const row = await readReleaseRow(this.lake, record.analysis, record.windowId);
    if (row?.sha256 === record.sha256) return false;
    await this.writeRow(record);
    return true;
  }

  /** Every record, in key order (analysis, then window). */
  async *all(): AsyncIterable<ReleaseRecord> {
    const store = this.lake.objects('private');
    for await (const obj of store.list(RELEASE_RECORDS_PREFIX)) {
      const names = parseReleaseRecordKey(obj.key);
      if (!names) continue;
      yield this.load(names.analysis, names.windowId, (await store.read(obj.key)).toString('utf8'));
    }
  }

  private async load(analysis: string, windowId: string, text: string): Promise<ReleaseRecord> {
    const key = releaseRecordKey(analysis, windowId);
    const what = `release record private/${key}`;
    const sha256 = sha256Of(text);
    const row = await readReleaseRow(this.lake, analysis, windowId);
    // Rows written before records existed carry no hash: `ensureRow` adds it.
    if (row?.sha256 !== undefined && row.sha256 !== sha256) {
      throw new DamagedStateError(
        what,
        `it does not match the SHA-256 in its releases table row (${analysis}, ${windowId}): it was altered`,
        "restore it from a backup (Gold's copy may still be the original); never edit a record",
      );
    }
    return { analysis, windowId, text, sha256, release: decodeRelease(text, what) };
  }

  private async writeRow(record: ReleaseRecord): Promise<void> {
    await this.lake.tables('releases').upsert({
      partitionKey: record.analysis,
      rowKey: record.windowId,
      sha256: record.sha256,
      record: releaseRecordKey(record.analysis, record.windowId),
      path: goldReleaseKeys(record.analysis, record.windowId).json,
      run_id: record.release.run_id,
      epsilon: record.release.privacy.epsilon,
      created_at: record.release.created_at,
    } satisfies ReleaseRow);
  }
}
