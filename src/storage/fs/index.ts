import { join, resolve } from 'node:path';
import type {
  ContainerName,
  Lake,
  Lease,
  ObjectStore,
  SweepResult,
  TableName,
  TableStore,
} from '../types.js';
import { FsLease, type FsLeaseOptions } from './fs-lease.js';
import { FsObjectStore } from './fs-object-store.js';
import { sweepLakeDir } from './fs-sweep.js';
import { FsTableStore } from './fs-table-store.js';

export interface FsLakeOptions {
  /** Heartbeat timing of leases (tests shorten it). */
  readonly lease?: FsLeaseOptions;
}

export { FsObjectStore } from './fs-object-store.js';
export { FsTableStore } from './fs-table-store.js';
export { FsLease, type FsLeaseOptions } from './fs-lease.js';

/**
 * The embedded default lake: `<dir>/<container>/…` for objects, `<dir>/tables/<table>/…` for
 * tables and `<dir>/leases/<name>/` for leases.
 *
 * @example
 * ```ts
 * const lake = new FsLake('./lake');
 * await lake.objects('gold').write('hello.txt', 'hi');
 * ```
 */
export class FsLake implements Lake {
  readonly root: string;
  private readonly stores = new Map<string, ObjectStore>();
  private readonly tableStores = new Map<string, TableStore>();

  constructor(
    dir: string,
    private readonly options: FsLakeOptions = {},
  ) {
    this.root = resolve(dir);
  }

  objects(container: ContainerName): ObjectStore {
    let store = this.stores.get(container);
    if (!store) {
      store = new FsObjectStore(container, join(this.root, container));
      this.stores.set(container, store);
    }
    return store;
  }

  tables(table: TableName): TableStore {
    let store = this.tableStores.get(table);
    if (!store) {
      store = new FsTableStore(table, join(this.root, 'tables'));
      this.tableStores.set(table, store);
    }
    return store;
  }

  lease(name: string): Lease {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`internal: invalid lease name '${name}'`);
    return new FsLease(name, join(this.root, 'leases', name), this.options.lease);
  }

  sweepTemporaries(): Promise<SweepResult> {
    return sweepLakeDir(this.root);
  }

  describe(): string {
    return this.root;
  }

  locate(container: ContainerName): string {
    return join(this.root, container);
  }
}
