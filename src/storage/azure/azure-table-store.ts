import type { TableClient } from '@azure/data-tables';
import type { StoredEntity, TableEntity, TableName, TableStore } from '../types.js';
import { encodeKey, fromAzure, toAzure } from './table-entity-codec.js';
import { azureStatus, translateAzureError } from './translate-error.js';

/**
 * A `TableStore` over one Azure table (created on first use, idempotently). Keys are encoded
 * for Azure (see `table-entity-codec.ts`); 409/412 become `ConflictError`/`PreconditionFailedError`,
 * and an entity the codec cannot decode `DamagedStateError`.
 */
export class AzureTableStore implements TableStore {
  private ready: Promise<void> | undefined;

  constructor(
    readonly table: TableName,
    private readonly client: TableClient,
  ) {}

  /**
   * Creates the table on first use. A 403 means this identity may use it but not create it
   * (the Function App's scoped roles; Bicep creates every container and table), so go on: if it
   * really is missing, the operation itself fails with a clear 404.
   */
  private ensure(): Promise<void> {
    this.ready ??= this.client.createTable().then(
      () => undefined,
      (err: unknown) => {
        if (azureStatus(err) === 403) return;
        this.ready = undefined;
        throw err;
      },
    );
    return this.ready;
  }

  private what(pk: string, rk: string): string {
    return `${this.table}: entity (${pk}, ${rk})`;
  }

  async get<T extends TableEntity>(pk: string, rk: string): Promise<StoredEntity<T> | undefined> {
    await this.ensure();
    let stored: Record<string, unknown>;
    try {
      stored = await this.client.getEntity<Record<string, unknown>>(encodeKey(pk), encodeKey(rk));
    } catch (err) {
      if (azureStatus(err) === 404) return undefined;
      throw translateAzureError(err, this.what(pk, rk));
    }
    return { entity: fromAzure<T>(stored, this.table), etag: String(stored.etag) };
  }

  async create(entity: TableEntity): Promise<string> {
    await this.ensure();
    try {
      return etagOf(await this.client.createEntity(toAzure(entity)));
    } catch (err) {
      throw translateAzureError(err, this.what(entity.partitionKey, entity.rowKey), true);
    }
  }

  async upsert(entity: TableEntity): Promise<string> {
    await this.ensure();
    try {
      return etagOf(await this.client.upsertEntity(toAzure(entity), 'Replace'));
    } catch (err) {
      throw translateAzureError(err, this.what(entity.partitionKey, entity.rowKey));
    }
  }

  async update(entity: TableEntity, etag: string): Promise<string> {
    await this.ensure();
    try {
      return etagOf(await this.client.updateEntity(toAzure(entity), 'Replace', { etag }));
    } catch (err) {
      // A missing entity is also "not the version you read" (404 → 412, as on the local lake).
      if (azureStatus(err) === 404) {
        throw translateAzureError({ statusCode: 412 }, this.what(entity.partitionKey, entity.rowKey));
      }
      throw translateAzureError(err, this.what(entity.partitionKey, entity.rowKey));
    }
  }

  async delete(pk: string, rk: string): Promise<boolean> {
    await this.ensure();
    try {
      await this.client.deleteEntity(encodeKey(pk), encodeKey(rk));
      return true;
    } catch (err) {
      if (azureStatus(err) === 404) return false;
      throw translateAzureError(err, this.what(pk, rk));
    }
  }

  async *list<T extends TableEntity>(pk?: string): AsyncIterable<StoredEntity<T>> {
    await this.ensure();
    const filter = pk === undefined ? undefined : `PartitionKey eq '${encodeKey(pk)}'`;
    const entities = this.client.listEntities<Record<string, unknown>>(
      filter ? { queryOptions: { filter } } : {},
    );
    for await (const stored of entities) {
      yield { entity: fromAzure<T>(stored, this.table), etag: String(stored.etag) };
    }
  }
}

function etagOf(res: { etag?: string }): string {
  if (!res.etag) throw new Error('internal: Azure Tables returned no ETag');
  return res.etag;
}
