export { configSchema, configJsonSchema, PARTITION_COLUMNS, VALUE_COLUMNS } from './schema.js';
export type {
  ActiveUsersConfig,
  PipelineConfig,
  AnalysisConfig,
  CountAnalysisConfig,
  MeanAnalysisConfig,
} from './schema.js';
export { DEFAULT_CONFIG_INPUT } from './default-config.js';
export { loadConfig, parseConfig } from './load.js';
