/** Erasure: requests stored as pseudonyms only, and the flush that removes a user everywhere. */
export { requestErasure, parseErasureFile, type ErasureRequestStatus } from './request.js';
export { flushDeletes, purgeBronzeBlob, type FlushResult, type FlushOptions } from './flush.js';
export { listErasures, erasedLinks, type ErasureRecord } from './requests.js';
