export { AzureLake, type AzureLakeOptions } from './azure-lake.js';
export { AzureTableStore } from './azure-table-store.js';
export { BlobObjectStore } from './blob-object-store.js';
export { lakeFromEnv } from './from-env.js';
