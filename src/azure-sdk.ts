import { createRequire } from 'node:module';

/**
 * The Azure SDKs, loaded on first use: importing them costs ~0.5 s of start-up (storage-blob
 * alone ~0.3 s), which every command paid even on a local lake. Only their types are imported
 * statically; the classes come from here, synchronously, when an Azure lake, launcher or
 * credential is actually built.
 */
const require = createRequire(import.meta.url);

export const blobSdk = (): typeof import('@azure/storage-blob') =>
  require('@azure/storage-blob') as typeof import('@azure/storage-blob');
export const tablesSdk = (): typeof import('@azure/data-tables') =>
  require('@azure/data-tables') as typeof import('@azure/data-tables');
export const identitySdk = (): typeof import('@azure/identity') =>
  require('@azure/identity') as typeof import('@azure/identity');
export const appContainersSdk = (): typeof import('@azure/arm-appcontainers') =>
  require('@azure/arm-appcontainers') as typeof import('@azure/arm-appcontainers');
