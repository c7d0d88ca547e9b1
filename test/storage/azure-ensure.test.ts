import type { ContainerClient } from '@azure/storage-blob';
import type { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { AzureTableStore } from '../../src/storage/azure/azure-table-store.js';
import { BlobObjectStore } from '../../src/storage/azure/blob-object-store.js';

/** Scoped identities (the Function App) may use a container or table but not create it. */
const forbidden = () =>
  Promise.reject(Object.assign(new Error('AuthorizationPermissionMismatch'), { statusCode: 403 }));
const notFound = () => Promise.reject(Object.assign(new Error('ResourceNotFound'), { statusCode: 404 }));

describe('Azure adapters created by a scoped identity', () => {
  it('go on when creating the table is forbidden, and still read', async () => {
    const client = { createTable: forbidden, getEntity: notFound } as unknown as TableClient;
    await expect(new AzureTableStore('checkpoints', client).get('p', 'r')).resolves.toBeUndefined();
  });

  it('still surface other creation failures', async () => {
    const client = {
      createTable: () => Promise.reject(Object.assign(new Error('boom'), { statusCode: 500 })),
      getEntity: notFound,
    } as unknown as TableClient;
    await expect(new AzureTableStore('checkpoints', client).get('p', 'r')).rejects.toThrow();
  });

  it('go on when creating the container is forbidden', async () => {
    const client = {
      createIfNotExists: forbidden,
      getBlobClient: () => ({ getProperties: notFound }),
      getBlockBlobClient: () => ({ getProperties: notFound }),
    } as unknown as ContainerClient;
    await expect(new BlobObjectStore('bronze', client).head('a.ndjson')).resolves.toBeUndefined();
  });
});
