import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DamagedStateError } from '../../errors.js';
import { decodeStoredJson, storedEntity } from '../decode.js';
import type { EntityValue, TableEntity, TableName } from '../types.js';

/**
 * How our entities map onto Azure Table entities, losslessly:
 * - keys may hold any character, but Azure forbids `/ \ # ?` and control characters and caps
 *   keys at 1 KiB: keys are URI-encoded (`.` too, as in the local lake), and longer ones hashed
 *   with the original kept in a property;
 * - property names the SDK or service reserve (`etag`, `timestamp`, …) are escaped with `dp_`;
 * - numbers that are not 32-bit integers are typed `Edm.Double` (the service would otherwise
 *   reject large integers); `null`s, which Azure does not store, are listed in `dp_nulls`.
 * An entity this mapping cannot have written (keys that do not decode, a garbled `dp_nulls`, a
 * property of a type we never store) raises `DamagedStateError` on the way back.
 */
const RESERVED = new Set([
  'partitionKey',
  'rowKey',
  'etag',
  'timestamp',
  'PartitionKey',
  'RowKey',
  'Timestamp',
]);
const ESCAPE = 'dp_';
const NULLS = `${ESCAPE}nulls`;
const LONG_PK = `${ESCAPE}long_pk`;
const LONG_RK = `${ESCAPE}long_rk`;
const MAX_KEY = 400;

export type AzureEntity = Record<string, unknown> & { partitionKey: string; rowKey: string };

export function encodeKey(key: string): string {
  const encoded = encodeURIComponent(key).replace(/\./g, '%2E').replace(/'/g, '%27');
  return encoded.length > MAX_KEY ? `~${createHash('sha256').update(key).digest('hex')}` : encoded;
}

function decodeKey(encoded: string, long: unknown): string | undefined {
  if (encoded.startsWith('~') && typeof long === 'string') return long;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

function propertyName(name: string): string {
  return RESERVED.has(name) || name.startsWith(ESCAPE) ? `${ESCAPE}${name}` : name;
}

export function toAzure(entity: TableEntity): AzureEntity {
  const pk = encodeKey(entity.partitionKey);
  const rk = encodeKey(entity.rowKey);
  const out: AzureEntity = { partitionKey: pk, rowKey: rk };
  if (pk.startsWith('~')) out[LONG_PK] = entity.partitionKey;
  if (rk.startsWith('~')) out[LONG_RK] = entity.rowKey;
  const nulls: string[] = [];
  for (const [name, value] of Object.entries(entity)) {
    if (name === 'partitionKey' || name === 'rowKey') continue;
    const stored = propertyName(name);
    if (value === null) nulls.push(stored);
    else if (typeof value === 'number' && !(Number.isInteger(value) && Math.abs(value) < 2 ** 31)) {
      out[stored] = { value: String(value), type: 'Double' };
    } else out[stored] = value;
  }
  if (nulls.length > 0) out[NULLS] = JSON.stringify(nulls);
  return out;
}

export function fromAzure<T extends TableEntity>(stored: Record<string, unknown>, table: TableName): T {
  const pk = decodeKey(String(stored.partitionKey), stored[LONG_PK]);
  const rk = decodeKey(String(stored.rowKey), stored[LONG_RK]);
  const where = storedEntity(table, pk ?? String(stored.partitionKey), rk ?? String(stored.rowKey));
  if (pk === undefined || rk === undefined) {
    throw new DamagedStateError(
      where.object,
      'its keys are not URI-encoded as dp-pipeline writes them',
      where.remedy,
    );
  }
  const out: Record<string, EntityValue> = { partitionKey: pk, rowKey: rk };
  for (const [name, value] of Object.entries(stored)) {
    // `odata.*` is service metadata (our property names cannot contain dots).
    if (RESERVED.has(name) || name.includes('.') || name === NULLS || name === LONG_PK || name === LONG_RK)
      continue;
    const original = name.startsWith(ESCAPE) ? name.slice(ESCAPE.length) : name;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[original] = value;
    } else {
      // Int64, DateTime, Guid, Binary: typed by someone else (we write strings, numbers, booleans only).
      throw new DamagedStateError(
        where.object,
        `property ${original} has a type dp-pipeline never writes`,
        where.remedy,
      );
    }
  }
  if (stored[NULLS] !== undefined) {
    const nulls = decodeStoredJson(z.array(z.string()), String(stored[NULLS]), {
      ...where,
      object: `${where.object}, property ${NULLS}`,
    });
    for (const name of nulls) out[name.startsWith(ESCAPE) ? name.slice(ESCAPE.length) : name] = null;
  }
  // The interface's T is the caller's promise; callers that need more than keys decode the entity.
  return out as T;
}
