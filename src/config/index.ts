export {
  AVAILABLE,
  configSchema,
  configJsonSchema,
  PARTITION_COLUMNS,
  STATISTICS,
  VALUE_COLUMNS,
  VALUE_STATISTICS,
} from './schema.js';
export type { ActiveUsersConfig, PipelineConfig, AnalysisConfig, StatisticName } from './schema.js';
export { DEFAULT_CONFIG_INPUT } from './default-config.js';
export { loadConfig, parseConfig } from './load.js';
