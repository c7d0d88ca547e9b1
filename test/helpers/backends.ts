import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { AzureLake } from '../../src/storage/azure/index.js';
import type { Lake } from '../../src/storage/index.js';
import { tempLake } from './lake.js';

/** A fresh, empty lake on each backend: the local filesystem, and Azurite (own containers/tables). */
export const BACKENDS: readonly {
  name: string;
  fresh: () => Promise<{ lake: Lake; cleanup: () => Promise<void> }>;
}[] = [
  { name: 'local filesystem', fresh: () => tempLake() },
  {
    name: 'Azurite',
    fresh: () =>
      Promise.resolve({
        lake: AzureLake.fromConnectionString(inject('azuriteConn'), {
          namePrefix: `t${randomBytes(5).toString('hex')}-`,
        }),
        cleanup: () => Promise.resolve(),
      }),
  },
];
