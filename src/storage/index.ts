export * from './types.js';
export {
  decodeStored,
  decodeStoredJson,
  entitySchema,
  entityValueSchema,
  parseStoredJson,
  storedEntity,
  storedFile,
  tableEntitySchema,
  type StoredObject,
} from './decode.js';
export { FsLake, FsObjectStore, FsTableStore } from './fs/index.js';
export { FsLease, type FsLakeOptions, type FsLeaseOptions } from './fs/index.js';
export { deadOwnerReason, describeOwner, isProcessAlive } from './lease-owner.js';
