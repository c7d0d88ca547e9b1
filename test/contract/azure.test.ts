import { TableClient } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { DamagedStateError } from '../../src/errors.js';
import { AzureLake } from '../../src/storage/azure/index.js';
import { encodeKey } from '../../src/storage/azure/table-entity-codec.js';
import type { Lake, TableName } from '../../src/storage/index.js';
import { storageContract } from './storage-contract.js';

const prefixes = new WeakMap<Lake, string>();

function fresh(): Promise<Lake> {
  const prefix = `t${randomBytes(5).toString('hex')}-`;
  const lake = AzureLake.fromConnectionString(inject('azuriteConn'), { namePrefix: prefix, listPageSize: 2 });
  prefixes.set(lake, prefix);
  return Promise.resolve(lake);
}

/** Writes a raw entity with the SDK, past our codec: what a hand edit or another writer leaves. */
async function writeRaw(lake: Lake, table: TableName, entity: Record<string, unknown>): Promise<void> {
  const name = `${(prefixes.get(lake) ?? '').replace(/[^A-Za-z0-9]/g, '')}${table}`;
  const client = TableClient.fromConnectionString(inject('azuriteConn'), name, {
    allowInsecureConnection: true,
  });
  await client.upsertEntity({ partitionKey: '', rowKey: '', ...entity }, 'Replace');
}

/** Azure damage: the list of null properties our codec keeps in `dp_nulls`, cut short. */
async function garbleNulls(lake: Lake, table: TableName, pk: string, rk: string): Promise<void> {
  await writeRaw(lake, table, { partitionKey: encodeKey(pk), rowKey: encodeKey(rk), dp_nulls: '["a' });
}

// A fresh lake per test: its own containers and tables (random name prefix) in the shared Azurite.
// Listing pages of 2 make every listing test exercise continuation tokens.
storageContract('Azure (Azurite)', fresh, garbleNulls);

describe('Azure (Azurite): entities our codec never writes', () => {
  it('raises DamagedStateError for a property typed by someone else, naming the property', async () => {
    const lake = await fresh();
    await lake.tables('budget').upsert({ partitionKey: 'dau', rowKey: '2016-08', n: 1 });
    await writeRaw(lake, 'budget', {
      partitionKey: 'dau',
      rowKey: '2016-08',
      n: { value: '1', type: 'Int64' },
    });
    const err: unknown = await lake
      .tables('budget')
      .get('dau', '2016-08')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DamagedStateError);
    expect((err as Error).message).toMatch(
      /^budget entity \(dau, 2016-08\) is damaged \(property n has a type dp-pipeline never writes\): restore it from a backup/,
    );
  });
});
