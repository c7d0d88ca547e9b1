import { copyFile, link, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError, NotFoundError, PreconditionFailedError, UserError } from '../../errors.js';
import type { ContainerName, ObjectInfo, ObjectStore, OperationOptions, WriteOptions } from '../types.js';
import { withFileLock } from './file-lock.js';
import { isErrno, TMP_MARK, tempPathFor } from './temp-files.js';
import { walkFiles } from './walk.js';

export { isErrno } from './temp-files.js';

/** The embedded default: a container is a folder `<lake>/<container>/`, keys are relative paths. */
export class FsObjectStore implements ObjectStore {
  constructor(
    readonly container: ContainerName,
    private readonly root: string,
  ) {}

  localPath(key: string): string {
    const clean = key.replace(/^\/+/, '');
    if (clean === '' || clean.split('/').some((part) => part === '..' || part === '.' || part === '')) {
      throw new UserError(
        `invalid object key '${key}': use a relative path without '.', '..' or empty segments`,
      );
    }
    return join(this.root, ...clean.split('/'));
  }

  async *list(prefix = '', _options?: OperationOptions): AsyncIterable<ObjectInfo> {
    const keys: string[] = [];
    for await (const { path, name } of walkFiles(this.root)) {
      if (!name.includes(TMP_MARK) && !name.endsWith('.lock')) {
        keys.push(relative(this.root, path).split(sep).join('/'));
      }
    }
    keys.sort();
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.localPath(key), { bigint: true });
      if (!s.isFile()) return undefined;
      return {
        key,
        size: Number(s.size),
        etag: `"${s.size.toString(16)}-${s.mtimeNs.toString(16)}-${s.ino.toString(16)}"`,
        lastModified: new Date(Number(s.mtimeMs)),
      };
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  async read(key: string): Promise<Buffer> {
    try {
      return await readFile(this.localPath(key));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`${this.container}/${key} does not exist`);
      throw err;
    }
  }

  async readStream(key: string): Promise<Readable> {
    const path = this.localPath(key);
    const handle = await open(path, 'r').catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`${this.container}/${key} does not exist`);
      throw err;
    });
    return handle.createReadStream();
  }

  async write(key: string, body: Buffer | string, options: WriteOptions = {}): Promise<ObjectInfo> {
    return this.place(key, options, async (tmp) => {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  async uploadFile(localPath: string, key: string, options: WriteOptions = {}): Promise<ObjectInfo> {
    return this.place(key, options, (tmp) => copyFile(localPath, tmp));
  }

  async downloadFile(key: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    try {
      await copyFile(this.localPath(key), localPath);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`${this.container}/${key} does not exist`);
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.localPath(key));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Writes to a temp file, then moves it into place atomically, honouring the conditions. */
  private async place(
    key: string,
    options: WriteOptions,
    fill: (tmp: string) => Promise<void>,
  ): Promise<ObjectInfo> {
    const path = this.localPath(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempPathFor(path);
    try {
      await fill(tmp);
      if (options.ifNoneMatch === '*') {
        try {
          await link(tmp, path); // atomic create-if-absent
        } catch (err) {
          if (isErrno(err, 'EEXIST')) throw new ConflictError(`${this.container}/${key} already exists`);
          throw err;
        }
      } else if (options.ifMatch !== undefined) {
        const expected = options.ifMatch;
        await withFileLock(path, async () => {
          const current = await this.head(key);
          if (!current || current.etag !== normalizeEtag(expected)) {
            throw new PreconditionFailedError(`${this.container}/${key} changed since ETag ${expected}`);
          }
          await rename(tmp, path);
        });
      } else {
        await rename(tmp, path);
      }
    } finally {
      await rm(tmp, { force: true });
    }
    const info = await this.head(key);
    if (!info) throw new NotFoundError(`${this.container}/${key} vanished right after it was written`);
    return info;
  }
}

export function normalizeEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}
