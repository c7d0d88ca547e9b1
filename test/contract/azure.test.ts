import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { AzureLake } from '../../src/storage/azure/index.js';
import { storageContract } from './storage-contract.js';

// A fresh lake per test: its own containers and tables (random name prefix) in the shared Azurite.
// Listing pages of 2 make every listing test exercise continuation tokens.
storageContract('Azure (Azurite)', () =>
  Promise.resolve(
    AzureLake.fromConnectionString(inject('azuriteConn'), {
      namePrefix: `t${randomBytes(5).toString('hex')}-`,
      listPageSize: 2,
    }),
  ),
);
