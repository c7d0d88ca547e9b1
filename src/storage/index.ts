export * from './types.js';
export { FsLake, FsObjectStore, FsTableStore } from './fs/index.js';
