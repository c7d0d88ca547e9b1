import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, PreconditionFailedError } from '../../errors.js';
import type { StoredEntity, TableEntity, TableName, TableStore } from '../types.js';
import { withFileLock } from './file-lock.js';
import { isErrno, tempPathFor } from './temp-files.js';

/**
 * A table as files: `<dir>/<table>/<partitionKey>/<rowKey>.json` (keys URI-encoded). The ETag
 * is a hash of the stored JSON, and every conditional write holds a lock file, so concurrent
 * processes on one machine see the same 409/412 semantics as Azure Table Storage.
 */
export class FsTableStore implements TableStore {
  private readonly dir: string;
  constructor(
    readonly table: TableName,
    root: string,
  ) {
    this.dir = join(root, table);
  }

  private path(pk: string, rk: string): string {
    return join(this.dir, encodeKey(pk), `${encodeKey(rk)}.json`);
  }

  async get<T extends TableEntity>(pk: string, rk: string): Promise<StoredEntity<T> | undefined> {
    return readEntity<T>(this.path(pk, rk));
  }

  async create(entity: TableEntity): Promise<string> {
    const path = this.path(entity.partitionKey, entity.rowKey);
    return withFileLock(path, async () => {
      if (await readEntity(path)) {
        throw new ConflictError(
          `${this.table}: entity (${entity.partitionKey}, ${entity.rowKey}) already exists`,
        );
      }
      return writeEntity(path, entity);
    });
  }

  async upsert(entity: TableEntity): Promise<string> {
    const path = this.path(entity.partitionKey, entity.rowKey);
    return withFileLock(path, () => writeEntity(path, entity));
  }

  async update(entity: TableEntity, etag: string): Promise<string> {
    const path = this.path(entity.partitionKey, entity.rowKey);
    return withFileLock(path, async () => {
      const current = await readEntity(path);
      if (!current || current.etag !== etag) {
        throw new PreconditionFailedError(
          `${this.table}: entity (${entity.partitionKey}, ${entity.rowKey}) changed since ETag ${etag}`,
        );
      }
      return writeEntity(path, entity);
    });
  }

  async delete(pk: string, rk: string): Promise<boolean> {
    const path = this.path(pk, rk);
    return withFileLock(path, async () => {
      if (!(await readEntity(path))) return false;
      await rm(path, { force: true });
      return true;
    });
  }

  async *list<T extends TableEntity>(pk?: string): AsyncIterable<StoredEntity<T>> {
    const partitions = pk === undefined ? (await listDir(this.dir)).sort() : [encodeKey(pk)];
    for (const part of partitions) {
      const rows = (await listDir(join(this.dir, part))).filter((f) => f.endsWith('.json')).sort();
      for (const row of rows) {
        const stored = await readEntity<T>(join(this.dir, part, row));
        if (stored) yield stored;
      }
    }
  }
}

function encodeKey(key: string): string {
  const encoded = encodeURIComponent(key).replace(/\./g, '%2E');
  return encoded.length > 200 ? `~${createHash('sha256').update(key).digest('hex')}` : encoded;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

async function readEntity<T extends TableEntity>(path: string): Promise<StoredEntity<T> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  return { entity: JSON.parse(text) as T, etag: etagOf(text) };
}

async function writeEntity(path: string, entity: TableEntity): Promise<string> {
  const text = JSON.stringify(entity);
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = tempPathFor(path);
  await writeFile(tmp, text);
  await rename(tmp, path);
  return etagOf(text);
}

function etagOf(text: string): string {
  return `W/"${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;
}
