import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, PreconditionFailedError } from '../../errors.js';
import { decodeStoredJson, storedEntity, tableEntitySchema } from '../decode.js';
import type { StoredEntity, TableEntity, TableName, TableStore } from '../types.js';
import { withFileLock } from './file-lock.js';
import { isErrno, tempPathFor } from './temp-files.js';

/**
 * A table as files: `<dir>/<table>/<partitionKey>/<rowKey>.json` (keys URI-encoded). The ETag
 * is a hash of the stored JSON, and every conditional write holds a lock file, so concurrent
 * processes on one machine see the same 409/412 semantics as Azure Table Storage. A file that is
 * not an entity (truncated, garbled) raises `DamagedStateError` naming table, keys and file.
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

  localPath(pk: string, rk: string): string {
    return this.path(pk, rk);
  }

  async get<T extends TableEntity>(pk: string, rk: string): Promise<StoredEntity<T> | undefined> {
    return this.read<T>(this.path(pk, rk), pk, rk);
  }

  /** The entity in file `path`, whose keys are `pk` and `rk` (as far as the file name tells). */
  private async read<T extends TableEntity>(
    path: string,
    pk: string,
    rk: string,
  ): Promise<StoredEntity<T> | undefined> {
    const text = await readText(path);
    if (text === undefined) return undefined;
    const where = storedEntity(this.table, pk, rk, path);
    // The interface's T is the caller's promise; callers that need more than keys decode the entity.
    return { entity: decodeStoredJson(tableEntitySchema, text, where) as T, etag: etagOf(text) };
  }

  async create(entity: TableEntity): Promise<string> {
    const path = this.path(entity.partitionKey, entity.rowKey);
    return withFileLock(path, async () => {
      if ((await readText(path)) !== undefined) {
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
      const current = await readText(path);
      if (current === undefined || etagOf(current) !== etag) {
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
      // No decoding: a damaged entity can be deleted too.
      if ((await readText(path)) === undefined) return false;
      await rm(path, { force: true });
      return true;
    });
  }

  async *list<T extends TableEntity>(pk?: string): AsyncIterable<StoredEntity<T>> {
    const partitions = pk === undefined ? (await listDir(this.dir)).sort() : [encodeKey(pk)];
    for (const part of partitions) {
      const rows = (await listDir(join(this.dir, part))).filter((f) => f.endsWith('.json')).sort();
      for (const row of rows) {
        const stored = await this.read<T>(
          join(this.dir, part, row),
          decodeKey(part),
          decodeKey(row.slice(0, -'.json'.length)),
        );
        if (stored) yield stored;
      }
    }
  }
}

function encodeKey(key: string): string {
  const encoded = encodeURIComponent(key).replace(/\./g, '%2E');
  return encoded.length > 200 ? `~${createHash('sha256').update(key).digest('hex')}` : encoded;
}

/** The key a file or folder name stands for (a hashed long key stays as it is: `~<sha256>`). */
function decodeKey(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
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
