import type { Readable } from 'node:stream';
import type { LeaseOwner } from '../errors.js';

export type { LeaseOwner } from '../errors.js';

/** The containers of a lake: one folder each locally, one blob container each in Azure. */
export const CONTAINERS = ['bronze', 'silver', 'gold', 'quarantine', 'private'] as const;
export type ContainerName = (typeof CONTAINERS)[number];

/** The tables of a lake (Azure Table Storage, or JSON files locally). */
export const TABLES = ['checkpoints', 'budget', 'releases', 'erasures'] as const;
export type TableName = (typeof TABLES)[number];

export interface ObjectInfo {
  /** Path inside the container, `/`-separated, no leading slash. */
  readonly key: string;
  readonly size: number;
  /** Opaque version tag, quoted like HTTP ETags (`"…"`), normalized on every backend. */
  readonly etag: string;
  readonly lastModified: Date;
}

export interface OperationOptions {
  readonly abortSignal?: AbortSignal;
}

export interface WriteOptions extends OperationOptions {
  /** `'*'`: create only; an existing object raises `ConflictError`. */
  readonly ifNoneMatch?: '*';
  /** Replace only this version; another version raises `PreconditionFailedError`. */
  readonly ifMatch?: string;
  readonly contentType?: string;
}

/**
 * A flat namespace of objects (a blob container, or a folder of the local lake).
 *
 * @example
 * ```ts
 * for await (const obj of lake.objects('bronze').list('2016/08/')) console.log(obj.key, obj.size);
 * ```
 */
export interface ObjectStore {
  readonly container: ContainerName;
  /** Objects whose key starts with `prefix`, in lexicographic key order. */
  list(prefix?: string, options?: OperationOptions): AsyncIterable<ObjectInfo>;
  head(key: string, options?: OperationOptions): Promise<ObjectInfo | undefined>;
  /** Whole object in memory: for small objects (JSON, reports). Raises `NotFoundError`. */
  read(key: string, options?: OperationOptions): Promise<Buffer>;
  /** Streams the object; never buffers it whole. Raises `NotFoundError`. */
  readStream(key: string, options?: OperationOptions): Promise<Readable>;
  write(key: string, body: Buffer | string, options?: WriteOptions): Promise<ObjectInfo>;
  /** Uploads a local file (streamed). */
  uploadFile(localPath: string, key: string, options?: WriteOptions): Promise<ObjectInfo>;
  /** Downloads to a local file (streamed). */
  downloadFile(key: string, localPath: string, options?: OperationOptions): Promise<void>;
  /** Returns false when there was nothing to delete. */
  delete(key: string, options?: OperationOptions): Promise<boolean>;
  /**
   * Where the object lives on this machine's filesystem, when it does (the embedded local
   * lake): lets DuckDB read it in place instead of staging a copy.
   */
  localPath?(key: string): string;
}

export type EntityValue = string | number | boolean | null;

export interface TableEntity {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly [property: string]: EntityValue;
}

export interface StoredEntity<T extends TableEntity = TableEntity> {
  readonly entity: T;
  readonly etag: string;
}

/**
 * A table of entities addressed by (partitionKey, rowKey), with ETag-guarded updates.
 * Keys may hold any characters: adapters encode them for their backend.
 */
export interface TableStore {
  readonly table: TableName;
  get<T extends TableEntity>(partitionKey: string, rowKey: string): Promise<StoredEntity<T> | undefined>;
  /** Raises `ConflictError` when the entity exists. Returns the new ETag. */
  create(entity: TableEntity): Promise<string>;
  /** Creates or replaces. Returns the new ETag. */
  upsert(entity: TableEntity): Promise<string>;
  /** Replaces only the version `etag` names; raises `PreconditionFailedError` otherwise. */
  update(entity: TableEntity, etag: string): Promise<string>;
  /** Returns false when there was nothing to delete. */
  delete(partitionKey: string, rowKey: string): Promise<boolean>;
  list<T extends TableEntity>(partitionKey?: string): AsyncIterable<StoredEntity<T>>;
  /**
   * Where the entity lives on this machine's filesystem, when it does (the embedded local lake):
   * lets a message about a damaged entity name its file.
   */
  localPath?(partitionKey: string, rowKey: string): string;
}

/** The holder of a lease as found; `stale` says why it may be broken (its process is gone). */
export interface LeaseHolder {
  readonly owner: LeaseOwner;
  readonly stale?: string;
}

/** A lease this process holds. */
export interface HeldLease {
  readonly owner: LeaseOwner;
  /** The stale holder this acquire broke, if it broke one (for the log). */
  readonly broke?: LeaseHolder;
  /** Renew at least this often, or the lease goes stale and another writer may break it. */
  readonly renewEveryMs: number;
  /** Extends the lease. Raises `LeaseLostError` when another owner took it meanwhile. */
  renew(options?: OperationOptions): Promise<void>;
  /** Gives the lease up. Idempotent; does nothing when it was already lost. */
  release(options?: OperationOptions): Promise<void>;
}

/**
 * A named, exclusive lease on the lake with a heartbeat: at most one live holder at a time. A
 * holder whose process is gone (its pid is dead on this host, or it stopped renewing) is stale,
 * and the next `acquire` breaks it.
 *
 * @example
 * ```ts
 * const held = await lake.lease('lake').acquire(owner); // LeaseHeldError when someone else holds it
 * const timer = setInterval(() => void held.renew(), held.renewEveryMs);
 * try { await work(); } finally { clearInterval(timer); await held.release(); }
 * ```
 */
export interface Lease {
  readonly name: string;
  /** The current holder (stale or not), or undefined when the lease is free. */
  holder(options?: OperationOptions): Promise<LeaseHolder | undefined>;
  /** Takes the lease, breaking a stale holder's. Raises `LeaseHeldError` when a live one has it. */
  acquire(owner: LeaseOwner, options?: OperationOptions): Promise<HeldLease>;
}

/** What `Lake.sweepTemporaries` removed: counts and kinds only. */
export interface SweepResult {
  /** Temp files of writes whose process died before moving them into place. */
  readonly tempFiles: number;
  /** Lock files whose holder died. */
  readonly locks: number;
}

/** Where everything lives: the containers and tables of one deployment. */
export interface Lake {
  objects(container: ContainerName): ObjectStore;
  tables(table: TableName): TableStore;
  /** The lease called `name` (the pipeline uses one, `lake`, for every writer). */
  lease(name: string): Lease;
  /**
   * Removes what crashed processes left in the lake outside any object or entity: temp files of
   * interrupted writes (they may hold whole Silver files) and locks of dead processes. Files of
   * live processes are left alone. Nothing to do on backends without such files (Azure).
   */
  sweepTemporaries(options?: OperationOptions): Promise<SweepResult>;
  /** Human description for summaries, e.g. `./lake` or `https://acct.blob.core.windows.net`. */
  describe(): string;
  /** Where a container's objects can be found by an analyst, e.g. `./lake/gold`. */
  locate(container: ContainerName): string;
}
