export * from './types.js';
export { FsLake, FsObjectStore, FsTableStore } from './fs/index.js';
export { FsLease, type FsLakeOptions, type FsLeaseOptions } from './fs/index.js';
export { deadOwnerReason, describeOwner, isProcessAlive } from './lease-owner.js';
