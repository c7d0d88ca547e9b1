import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, UserError } from '../errors.js';
import { dateOfSilverKey, newRunId, SESSIONS_PREFIX } from '../lake/index.js';
import { withLakeLease, type LakeLeaseOptions } from '../lake/lease.js';
import type { Lake } from '../storage/index.js';
import {
  keyFileSchema,
  loadPseudonymKey,
  PseudonymKey,
  readKeyFile,
  type Pseudonym,
  type RawUserId,
} from './pseudonym.js';

const KEYS_PREFIX = 'keys/';
const ROTATED_KEY = /^keys\/pseudonym-key-(v\d+)\.json$/;

/** A rotated key's file: a key file with the first Silver date it pseudonymizes. */
const rotatedKeyFileSchema = keyFileSchema.extend({
  effective: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'),
});

/** One key version and the first Silver date it pseudonymizes (null: since the beginning). */
export interface KeyVersion {
  readonly key: PseudonymKey;
  readonly effective: string | null;
}

/** The pseudonyms of one raw id: under every key version, and the activity link. */
export interface UserPseudonyms {
  readonly link: Pseudonym;
  readonly versions: Readonly<Record<string, Pseudonym>>;
}

/**
 * Every pseudonymization key version, oldest first.
 *
 * Silver rows dated on or after a version's `effective` date carry that version's pseudonym, so
 * Silver pseudonyms change at each rotation. The person is instead named by their **link**
 * pseudonym, the one under the first version, computed at ingest (where the raw id is at hand)
 * whatever version Silver uses, so a window spanning a rotation counts each user once: the private
 * activity ledger keys users by it, and Silver rows carry it (`user_link`, the analyses' privacy
 * unit). Links stay in Silver, `private/` and erasure records; never in Gold, logs or run reports.
 */
export class KeyRing {
  /** The key of link pseudonyms: the first version's, never rotated. */
  readonly link: PseudonymKey;

  constructor(readonly versions: readonly KeyVersion[]) {
    if (versions.length === 0) throw new Error('internal: a key ring needs at least one version');
    this.link = versions[0]!.key;
  }

  /** The version in force for Silver rows of `date` (YYYY-MM-DD). */
  versionFor(date: string): KeyVersion {
    let current = this.versions[0]!;
    for (const v of this.versions) if (v.effective !== null && v.effective <= date) current = v;
    return current;
  }

  get latest(): KeyVersion {
    return this.versions.at(-1)!;
  }

  pseudonymsOf(raw: RawUserId): UserPseudonyms {
    const versions: Record<string, Pseudonym> = {};
    for (const v of this.versions) versions[v.key.version] = v.key.pseudonymize(raw);
    return { link: this.link.pseudonymize(raw), versions };
  }
}

/**
 * The key ring of `lake`: version v1 from `loadPseudonymKey` (environment or the local default),
 * then every rotated version under `private/keys/pseudonym-key-<version>.json`.
 */
export async function loadKeyRing(lake: Lake, env: NodeJS.ProcessEnv = process.env): Promise<KeyRing> {
  const first = await loadPseudonymKey(lake, env);
  const rotated: KeyVersion[] = [];
  const store = lake.objects('private');
  for await (const obj of store.list(KEYS_PREFIX)) {
    if (!ROTATED_KEY.test(obj.key)) continue;
    const parsed = await readKeyFile(store, obj.key, rotatedKeyFileSchema);
    rotated.push({
      key: PseudonymKey.fromBytes(parsed.version, Buffer.from(parsed.key, 'hex')),
      effective: parsed.effective,
    });
  }
  rotated.sort((a, b) => (a.effective! < b.effective! ? -1 : 1));
  return new KeyRing([{ key: first, effective: null }, ...rotated]);
}

export interface RotateKeyOptions {
  readonly now?: Date;
  /** The latest date Silver holds (default: read from Silver under the lake lease). */
  readonly latestSilverDate?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait (ms) for another writer to free the lake; default 0. */
  readonly leaseWaitMs?: number;
  readonly onLeaseWait?: LakeLeaseOptions['onWait'];
}

/**
 * Adds a key version effective from `effective` (YYYY-MM-DD): Silver rows of that date and later
 * get pseudonyms under the new key. Refused when Silver already holds rows of that date or later
 * (they cannot be re-keyed without the raw ids) or when it is not after the latest rotation.
 * Holds the lake lease, so no run writes Silver between the check and the new key.
 */
export async function rotateKey(
  lake: Lake,
  effective: string,
  options: RotateKeyOptions = {},
): Promise<{ version: string; effective: string }> {
  return withLakeLease(
    lake,
    { command: 'rotate-key', runId: newRunId(options.now) },
    async () =>
      rotateUnderLease(lake, effective, {
        ...options,
        latestSilverDate: options.latestSilverDate ?? (await latestSilverDate(lake)),
      }),
    { waitMs: options.leaseWaitMs, onWait: options.onLeaseWait },
  );
}

/** The latest `date=` partition in Silver, if any. */
async function latestSilverDate(lake: Lake): Promise<string | undefined> {
  let latest: string | undefined;
  for await (const obj of lake.objects('silver').list(SESSIONS_PREFIX)) {
    const d = dateOfSilverKey(obj.key);
    if (d !== undefined && (latest === undefined || d > latest)) latest = d;
  }
  return latest;
}

async function rotateUnderLease(
  lake: Lake,
  effective: string,
  options: RotateKeyOptions,
): Promise<{ version: string; effective: string }> {
  const env = options.env ?? process.env;
  if (env.DP_PSEUDONYM_KEY !== undefined && env.DP_PSEUDONYM_KEY !== '') {
    throw new UserError(
      'rotate-key manages keys stored in the lake (private/keys/); DP_PSEUDONYM_KEY is set, so rotate the key where it is kept instead',
    );
  }
  const ring = await loadKeyRing(lake, env);
  const last = ring.latest;
  if (last.effective !== null && effective <= last.effective) {
    throw new UserError(
      `--effective ${effective}: must be after the latest rotation (${last.key.version}, effective ${last.effective})`,
    );
  }
  if (options.latestSilverDate !== undefined && effective <= options.latestSilverDate) {
    throw new UserError(
      `--effective ${effective}: Silver already holds rows up to ${options.latestSilverDate}; choose a later date (rows in Silver cannot be re-keyed)`,
    );
  }
  const version = `v${ring.versions.length + 1}`;
  const body = JSON.stringify({
    version,
    key: randomBytes(32).toString('hex'),
    effective,
    created_at: (options.now ?? new Date()).toISOString(),
  });
  try {
    await lake.objects('private').write(`${KEYS_PREFIX}pseudonym-key-${version}.json`, body, {
      ifNoneMatch: '*',
      contentType: 'application/json',
    });
  } catch (err) {
    if (err instanceof ConflictError)
      throw new UserError(`key version ${version} was just created by another process; run rotate-key again`);
    throw err;
  }
  return { version, effective };
}
