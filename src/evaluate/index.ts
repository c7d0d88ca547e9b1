/**
 * Evaluation mode (`dp-pipeline evaluate`): simulated releases compared with the raw values, for
 * the data owner only. Outputs go to `private/evaluation/`, never to Gold, and spend no budget.
 *
 * @example
 * ```ts
 * import { evaluate } from '../evaluate/index.js';
 * const { evaluation } = await evaluate({ lake, config, runs: 50 });
 * ```
 */
export {
  evaluate,
  EVALUATION_PREFIX,
  LARGEST_PARTITIONS,
  SIMULATION_LABEL,
  type AnalysisEvaluation,
  type EvaluateOptions,
  type EvaluateResult,
  type Evaluation,
  type PartitionEvaluation,
} from './evaluate.js';
export { percent } from './stats.js';
