import type { TokenCredential } from '@azure/identity';
import type { BlobServiceClient } from '@azure/storage-blob';
import { blobSdk, identitySdk, tablesSdk } from '../../azure-sdk.js';
import type {
  ContainerName,
  Lake,
  Lease,
  ObjectStore,
  SweepResult,
  TableName,
  TableStore,
} from '../types.js';
import { AzureTableStore } from './azure-table-store.js';
import { BlobLease } from './blob-lease.js';
import { BlobObjectStore } from './blob-object-store.js';

export interface AzureLakeOptions {
  /**
   * Prefix for every container (`<prefix>bronze`) and table name (its alphanumerics only), so
   * several lakes can share one account (tests use it for isolation). Default: none.
   */
  readonly namePrefix?: string;
  /** Blob listing page size (default 5000, the service maximum). */
  readonly listPageSize?: number;
}

type Connection =
  | { readonly kind: 'connection-string'; readonly connectionString: string }
  | { readonly kind: 'account'; readonly account: string; readonly credential: TokenCredential };

/**
 * The lake on Azure Storage: one blob container per lake container and one table per lake
 * table, created on first use. Authenticates with a connection string (Azurite, dev) or with a
 * `TokenCredential` (default `DefaultAzureCredential`: the managed identity in Azure, which
 * honours `AZURE_CLIENT_ID`).
 *
 * @example
 * ```ts
 * const lake = AzureLake.fromAccount('mystorageacct');           // managed identity
 * const dev = AzureLake.fromConnectionString(process.env.DP_STORAGE_CONNECTION_STRING!);
 * for await (const blob of dev.objects('bronze').list('2016/')) console.log(blob.key);
 * ```
 */
export class AzureLake implements Lake {
  private readonly blobService: BlobServiceClient;
  private readonly stores = new Map<string, ObjectStore>();
  private readonly tableStores = new Map<string, TableStore>();

  private constructor(
    private readonly connection: Connection,
    private readonly options: AzureLakeOptions,
  ) {
    this.blobService =
      connection.kind === 'connection-string'
        ? blobSdk().BlobServiceClient.fromConnectionString(connection.connectionString)
        : new (blobSdk().BlobServiceClient)(
            `https://${connection.account}.blob.core.windows.net`,
            connection.credential,
          );
  }

  static fromConnectionString(connectionString: string, options: AzureLakeOptions = {}): AzureLake {
    return new AzureLake({ kind: 'connection-string', connectionString }, options);
  }

  static fromAccount(
    account: string,
    credential: TokenCredential = new (identitySdk().DefaultAzureCredential)(),
    options: AzureLakeOptions = {},
  ): AzureLake {
    return new AzureLake({ kind: 'account', account, credential }, options);
  }

  private containerName(container: ContainerName): string {
    return `${this.options.namePrefix ?? ''}${container}`;
  }

  private tableName(table: TableName): string {
    return `${(this.options.namePrefix ?? '').replace(/[^A-Za-z0-9]/g, '')}${table}`;
  }

  objects(container: ContainerName): ObjectStore {
    let store = this.stores.get(container);
    if (!store) {
      const client = this.blobService.getContainerClient(this.containerName(container));
      store = new BlobObjectStore(container, client, this.options.listPageSize);
      this.stores.set(container, store);
    }
    return store;
  }

  tables(table: TableName): TableStore {
    let store = this.tableStores.get(table);
    if (!store) {
      const name = this.tableName(table);
      const c = this.connection;
      const client =
        c.kind === 'connection-string'
          ? tablesSdk().TableClient.fromConnectionString(c.connectionString, name, {
              allowInsecureConnection:
                /DefaultEndpointsProtocol=http;|TableEndpoint=http:|UseDevelopmentStorage=true/i.test(
                  c.connectionString,
                ),
            })
          : new (tablesSdk().TableClient)(`https://${c.account}.table.core.windows.net`, name, c.credential);
      store = new AzureTableStore(table, client);
      this.tableStores.set(table, store);
    }
    return store;
  }

  /** A Blob lease on `private/leases/<name>` (see `BlobLease`). */
  lease(name: string): Lease {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`internal: invalid lease name '${name}'`);
    return new BlobLease(name, this.blobService.getContainerClient(this.containerName('private')));
  }

  /** Nothing to sweep: an interrupted upload leaves only uncommitted blocks, which no listing or read sees. */
  sweepTemporaries(): Promise<SweepResult> {
    return Promise.resolve({ tempFiles: 0, locks: 0 });
  }

  describe(): string {
    return this.blobService.url.replace(/\/+$/, '');
  }

  locate(container: ContainerName): string {
    return `${this.describe()}/${this.containerName(container)}`;
  }
}
