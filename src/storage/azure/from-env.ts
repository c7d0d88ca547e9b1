import { UserError } from '../../errors.js';
import { FsLake } from '../fs/index.js';
import type { Lake } from '../types.js';
import { AzureLake } from './azure-lake.js';

/**
 * The lake the environment names (the contract shared by the CLI, the job image, the Function
 * App and the Bicep): `DP_STORAGE_CONNECTION_STRING` (Azurite, dev; takes precedence), else
 * `DP_STORAGE_ACCOUNT` with `DefaultAzureCredential` (managed identity, `AZURE_CLIENT_ID`
 * honoured), else the local directory `localDir`.
 */
export function lakeFromEnv(localDir: string, env: NodeJS.ProcessEnv = process.env): Lake {
  const connectionString = env.DP_STORAGE_CONNECTION_STRING?.trim();
  if (connectionString) {
    if (!/AccountName=|BlobEndpoint=|UseDevelopmentStorage=true/i.test(connectionString)) {
      throw new UserError(
        'DP_STORAGE_CONNECTION_STRING does not look like a storage connection string (no AccountName= or BlobEndpoint=): copy it from the portal or `az storage account show-connection-string`',
      );
    }
    return AzureLake.fromConnectionString(connectionString);
  }
  const account = env.DP_STORAGE_ACCOUNT?.trim();
  if (account) {
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      throw new UserError(
        `DP_STORAGE_ACCOUNT '${account}' is not a storage account name (3-24 lowercase letters and digits): give the name, not the URL`,
      );
    }
    return AzureLake.fromAccount(account);
  }
  return new FsLake(localDir);
}
