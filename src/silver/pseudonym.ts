import { createHash, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, UserError } from '../errors.js';
import { decodeStoredJson, storedFile, type Lake, type ObjectStore } from '../storage/index.js';

/** A user id as it arrived in Bronze. Never written to Silver, Gold, logs or tables. */
export type RawUserId = string & { readonly __brand: 'RawUserId' };
/**
 * HMAC-SHA256 of a raw id under a secret key version, truncated to 128 bits (32 hex characters;
 * RFC 2104 §5 allows truncation to half the hash): the only user identifier past Bronze.
 */
export type Pseudonym = string & { readonly __brand: 'Pseudonym' };

/** A stored pseudonym, checked for its shape before it is branded. */
export const pseudonymSchema = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'a pseudonym (32 hex characters)')
  .transform((text) => text as Pseudonym);

const BLOCK = 64;
const PSEUDONYM_HEX = 32;
const LOCAL_KEY_OBJECT = 'keys/pseudonym-key.json';

/** A key file under `private/keys/`: the version and its 32+ secret bytes in hex. */
export const keyFileSchema = z.object({
  version: z.string().min(1),
  key: z.string().regex(/^(?:[0-9a-fA-F]{2}){32,}$/, '64 or more hex characters'),
  created_at: z.iso.datetime().optional(),
});

/**
 * Key file `key` of `store`, decoded with `schema`. A file that does not decode raises
 * `DamagedStateError`; the error never quotes the file (it holds the secret).
 */
export async function readKeyFile<S extends typeof keyFileSchema>(
  store: ObjectStore,
  key: string,
  schema: S,
): Promise<z.output<S>> {
  const where = storedFile(
    store,
    key,
    'pseudonymization key file',
    'restore it from a backup; do not delete it: Silver holds pseudonyms made with this key, and without it new data of the same users gets other pseudonyms (counted twice, missed by erasures)',
  );
  return decodeStoredJson(schema, (await store.read(key)).toString('utf8'), where);
}

/** A pseudonymization key version; the bytes never leave this object except as HMAC pads for DuckDB. */
export class PseudonymKey {
  private constructor(
    readonly version: string,
    private readonly key: Buffer,
  ) {}

  static fromBytes(version: string, key: Buffer): PseudonymKey {
    if (key.length < 32)
      throw new UserError('DP_PSEUDONYM_KEY must be at least 32 bytes (64 hex characters)');
    return new PseudonymKey(version, key);
  }

  /** `HMAC-SHA256(key, rawId)`, first 128 bits, in hex. */
  pseudonymize(raw: RawUserId): Pseudonym {
    return createHmac('sha256', this.key)
      .update(raw, 'utf8')
      .digest('hex')
      .slice(0, PSEUDONYM_HEX) as Pseudonym;
  }

  /**
   * The inner and outer HMAC pads (RFC 2104) in hex, so DuckDB can compute the same HMAC in
   * bulk as `sha256(opad || unhex(sha256(ipad || id)))`.
   */
  hmacPads(): { ipad: string; opad: string } {
    let k = this.key;
    if (k.length > BLOCK) k = createHash('sha256').update(k).digest(); // RFC 2104: long keys are hashed first
    const padded = Buffer.alloc(BLOCK);
    k.copy(padded);
    const ipad = Buffer.alloc(BLOCK);
    const opad = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      ipad[i] = padded[i]! ^ 0x36;
      opad[i] = padded[i]! ^ 0x5c;
    }
    return { ipad: ipad.toString('hex'), opad: opad.toString('hex') };
  }
}

/**
 * The SQL expression computing a pseudonym of VARCHAR column `col`, with `$<pads>ipad` and
 * `$<pads>opad` parameters (default `$ipad`/`$opad`).
 */
export function pseudonymSql(col: string, pads = ''): string {
  return `left(sha256(unhex($${pads}opad) || unhex(sha256(unhex($${pads}ipad) || encode(${col})))), ${PSEUDONYM_HEX})`;
}

/**
 * The key from `DP_PSEUDONYM_KEY` (64+ hex characters, or base64 of 32+ bytes; version from
 * `DP_PSEUDONYM_KEY_VERSION`, default `v1`); otherwise the local default: a random key created
 * once under `private/keys/` of the lake and reused by every later run.
 */
export async function loadPseudonymKey(
  lake: Lake,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PseudonymKey> {
  const fromEnv = env.DP_PSEUDONYM_KEY;
  const version = env.DP_PSEUDONYM_KEY_VERSION ?? 'v1';
  if (fromEnv !== undefined && fromEnv !== '') return PseudonymKey.fromBytes(version, decodeKey(fromEnv));
  const store = lake.objects('private');
  const existing = await store.head(LOCAL_KEY_OBJECT);
  if (!existing) {
    const body = JSON.stringify({
      version: 'v1',
      key: randomBytes(32).toString('hex'),
      created_at: new Date().toISOString(),
    });
    try {
      await store.write(LOCAL_KEY_OBJECT, body, { ifNoneMatch: '*', contentType: 'application/json' });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // another process created it first: use theirs
    }
  }
  const parsed = await readKeyFile(store, LOCAL_KEY_OBJECT, keyFileSchema);
  return PseudonymKey.fromBytes(parsed.version, Buffer.from(parsed.key, 'hex'));
}

function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0) return Buffer.from(trimmed, 'hex');
  const buf = Buffer.from(trimmed, 'base64');
  if (buf.length === 0)
    throw new UserError(
      'DP_PSEUDONYM_KEY is neither hex nor base64: generate one with `openssl rand -hex 32`',
    );
  return buf;
}
