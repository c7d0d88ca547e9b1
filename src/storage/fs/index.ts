import { join, resolve } from 'node:path';
import type { ContainerName, Lake, ObjectStore, TableName, TableStore } from '../types.js';
import { FsObjectStore } from './fs-object-store.js';
import { FsTableStore } from './fs-table-store.js';

export { FsObjectStore } from './fs-object-store.js';
export { FsTableStore } from './fs-table-store.js';

/**
 * The embedded default lake: `<dir>/<container>/…` for objects and `<dir>/tables/<table>/…`
 * for tables.
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

  constructor(dir: string) {
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

  describe(): string {
    return this.root;
  }

  locate(container: ContainerName): string {
    return join(this.root, container);
  }
}
