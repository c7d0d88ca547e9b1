import { stat } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobRequestConditions, ContainerClient } from '@azure/storage-blob';
import { UserError } from '../../errors.js';
import type { ContainerName, ObjectInfo, ObjectStore, OperationOptions, WriteOptions } from '../types.js';
import { azureStatus, quoteEtag, translateAzureError } from './translate-error.js';

/** Blocks of 8 MiB, 4 in flight: large uploads stream in bounded memory. */
const BLOCK_SIZE = 8 * 1024 * 1024;
const CONCURRENCY = 4;

/**
 * An `ObjectStore` over one blob container. The container is created on first use
 * (idempotently); SDK errors are translated into our typed errors here.
 */
export class BlobObjectStore implements ObjectStore {
  private ready: Promise<void> | undefined;

  constructor(
    readonly container: ContainerName,
    private readonly client: ContainerClient,
    private readonly pageSize = 5000,
  ) {}

  /**
   * Creates the container on first use. A 403 means this identity may use it but not create it
   * (the Function App's scoped roles; Bicep creates every container and table), so go on: if it
   * really is missing, the operation itself fails with a clear 404.
   */
  private ensure(): Promise<void> {
    this.ready ??= this.client.createIfNotExists().then(
      () => undefined,
      (err: unknown) => {
        if (azureStatus(err) === 403) return;
        this.ready = undefined; // let the next call retry
        throw err;
      },
    );
    return this.ready;
  }

  private what(key: string): string {
    return `${this.container}/${key}`;
  }

  private blob(key: string) {
    const clean = key.replace(/^\/+/, '');
    if (clean === '' || clean.split('/').some((part) => part === '..' || part === '.' || part === '')) {
      throw new UserError(
        `invalid object key '${key}': use a relative path without '.', '..' or empty segments`,
      );
    }
    return this.client.getBlockBlobClient(clean);
  }

  async *list(prefix = '', options: OperationOptions = {}): AsyncIterable<ObjectInfo> {
    await this.ensure();
    const pages = this.client
      .listBlobsFlat({ prefix, abortSignal: options.abortSignal })
      .byPage({ maxPageSize: this.pageSize });
    for await (const page of pages) {
      for (const item of page.segment.blobItems) {
        yield {
          key: item.name,
          size: item.properties.contentLength ?? 0,
          etag: quoteEtag(item.properties.etag),
          lastModified: item.properties.lastModified,
        };
      }
    }
  }

  async head(key: string, options: OperationOptions = {}): Promise<ObjectInfo | undefined> {
    await this.ensure();
    try {
      const p = await this.blob(key).getProperties({ abortSignal: options.abortSignal });
      return {
        key,
        size: p.contentLength ?? 0,
        etag: quoteEtag(p.etag),
        lastModified: p.lastModified ?? new Date(0),
      };
    } catch (err) {
      if (azureStatus(err) === 404) return undefined;
      throw translateAzureError(err, this.what(key));
    }
  }

  async read(key: string, options: OperationOptions = {}): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.readStream(key, options)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async readStream(key: string, options: OperationOptions = {}): Promise<Readable> {
    await this.ensure();
    try {
      const res = await this.blob(key).download(0, undefined, {
        abortSignal: options.abortSignal,
        maxRetryRequests: 5, // the SDK resumes a broken download from where it stopped
      });
      const body = res.readableStreamBody;
      if (!body) throw new Error(`internal: no body downloading ${this.what(key)}`);
      return body instanceof Readable ? body : Readable.from(body);
    } catch (err) {
      throw translateAzureError(err, this.what(key));
    }
  }

  async write(key: string, body: Buffer | string, options: WriteOptions = {}): Promise<ObjectInfo> {
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return this.put(key, options, data.length, (client, common) =>
      client.uploadData(data, { ...common, blockSize: BLOCK_SIZE, concurrency: CONCURRENCY }),
    );
  }

  async uploadFile(localPath: string, key: string, options: WriteOptions = {}): Promise<ObjectInfo> {
    const { size } = await stat(localPath);
    return this.put(key, options, size, (client, common) =>
      client.uploadFile(localPath, { ...common, blockSize: BLOCK_SIZE, concurrency: CONCURRENCY }),
    );
  }

  async downloadFile(key: string, localPath: string, options: OperationOptions = {}): Promise<void> {
    await this.ensure();
    await mkdir(dirname(localPath), { recursive: true });
    try {
      await this.blob(key).downloadToFile(localPath, 0, undefined, {
        abortSignal: options.abortSignal,
        maxRetryRequests: 5,
      });
    } catch (err) {
      throw translateAzureError(err, this.what(key));
    }
  }

  async delete(key: string, options: OperationOptions = {}): Promise<boolean> {
    await this.ensure();
    try {
      const res = await this.blob(key).deleteIfExists({ abortSignal: options.abortSignal });
      return res.succeeded;
    } catch (err) {
      throw translateAzureError(err, this.what(key));
    }
  }

  private async put(
    key: string,
    options: WriteOptions,
    size: number,
    upload: (
      client: ReturnType<BlobObjectStore['blob']>,
      common: {
        conditions: BlobRequestConditions;
        blobHTTPHeaders: { blobContentType?: string };
        abortSignal?: AbortSignal;
      },
    ) => Promise<{ etag?: string; lastModified?: Date }>,
  ): Promise<ObjectInfo> {
    await this.ensure();
    const conditions: BlobRequestConditions = {};
    if (options.ifNoneMatch === '*') conditions.ifNoneMatch = '*';
    if (options.ifMatch !== undefined) conditions.ifMatch = quoteEtag(options.ifMatch);
    const headers = options.contentType ? { blobContentType: options.contentType } : {};
    try {
      const res = await upload(this.blob(key), {
        conditions,
        blobHTTPHeaders: headers,
        ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
      });
      return { key, size, etag: quoteEtag(res.etag), lastModified: res.lastModified ?? new Date() };
    } catch (err) {
      throw translateAzureError(err, this.what(key), options.ifNoneMatch === '*');
    }
  }
}
