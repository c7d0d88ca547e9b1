/**
 * The lake layer, below every domain module: the layout (typed key builders and parsers per
 * dataset), run ids, the commit rule (`CommittedView`), checkpoints, local copies for the engine
 * and the scratch engine. Depends only on `storage/`, `engine/` and shared utilities.
 */
export * from './layout.js';
export { newRunId, isRunId, runIdOfPartFile, type RunId } from './run-id.js';
export { CommittedView } from './commit.js';
export {
  CHECKPOINT_PARTITION,
  checkpointedEtags,
  forgetCheckpoint,
  hasCheckpoint,
  listCheckpoints,
  readCheckpoint,
  type CheckpointEntity,
  markProcessed,
  unprocessedBlobs,
} from './checkpoints.js';
export { localCopies } from './local-files.js';
export {
  adoptUnlistedFiles,
  describeFile,
  describeFiles,
  dropUncommittedRows,
  forgetFile,
  hashFile,
  listManifest,
  MANIFEST_PARTITION,
  manifestAdopted,
  manifestRowKey,
  readManifestRow,
  recordDeleting,
  recordFile,
  recordPendingRewrite,
  verifyFiles,
  type FileFacts,
  type ManifestContainer,
  type ManifestEntity,
  type VerifyRequest,
} from './manifest.js';
export { openScratch, ownerPidOfScratchDir, scratchPrefix, type Scratch } from './scratch.js';
export {
  LAKE_LEASE,
  acquireLakeLease,
  withLakeLease,
  type LakeLease,
  type LakeLeaseOptions,
} from './lease.js';
export { sweepLeftovers, removeScratchOnSignals, type Leftovers } from './leftovers.js';
export { crashPoint, CRASH_POINTS, type CrashPoint } from './crash-points.js';
