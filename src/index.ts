/**
 * dp-pipeline as a library: run the pipeline on a lake, read and validate configs.
 * The DP engine alone is `dp-pipeline/dp`.
 *
 * @example
 * ```ts
 * import { FsLake, loadConfig, runPipeline } from 'dp-pipeline';
 * const result = await runPipeline({ lake: new FsLake('./lake'), config: await loadConfig() });
 * console.log(result.report.totals);
 * ```
 */
export { runPipeline, type RunOptions, type RunResult } from './pipeline/run.js';
export type { RunReport, BlobTally, ReleaseSummary } from './pipeline/report.js';
export {
  loadConfig,
  parseConfig,
  configJsonSchema,
  type PipelineConfig,
  type AnalysisConfig,
} from './config/index.js';
export { FsLake, type Lake, type ObjectStore, type TableStore } from './storage/index.js';
export { RELEASE_SCHEMA, type Release, type ReleasePartition, type ReleasePrivacy } from './gold/release.js';
export {
  releaseSchema,
  indexSchema,
  goldJsonSchemas,
  type GoldIndex,
  type IndexEntry,
} from './gold/schema.js';
export { TABLE_COLUMNS, TABLE_SCHEMA, tableRowSchema, type TableRow } from './gold/tables/index.js';
export { evaluate, SIMULATION_LABEL, type EvaluateOptions, type Evaluation } from './evaluate/index.js';
export { explainConfig } from './analyses/explain.js';
export { generate, type GenerateOptions, type GenerateResult } from './generate/index.js';
export {
  DpPipelineError,
  DpParameterError,
  UserError,
  BudgetExhaustedError,
  ConflictError,
  PreconditionFailedError,
  NotFoundError,
  DamagedStateError,
} from './errors.js';
export { openActivity, type ActivityCounts, type ActivityLedger } from './activity/index.js';
export { ingestEvents, type IngestEvent } from './pipeline/events.js';
export { requestErasure, flushDeletes, type FlushResult } from './erasure/index.js';
export { rotateKey } from './silver/key-ring.js';
export {
  ActiveUsers,
  type ActiveAnswer,
  type ActiveBudgetState,
  type ActiveMetric,
} from './active-users/index.js';
export { createApp, serveApp, type HttpDeps } from './http/index.js';
