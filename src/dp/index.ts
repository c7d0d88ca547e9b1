/**
 * The differential-privacy core of dp-pipeline: exact samplers, calibration, mechanisms and the
 * reference contribution bounder. Pure (no I/O), and imports nothing outside `dp/` but Node
 * built-ins. This file is the public API; other folders import only from here.
 *
 * The shape: randomness is an injected {@link RandomSource}; samplers (discrete Laplace, discrete
 * Gaussian) take exact {@link Rational} parameters; calibration (sensitivity → scale → interval)
 * is exported as plain functions; a mechanism (COUNT, PRIVACY_ID_COUNT, SUM, MEAN, VARIANCE,
 * quantiles, several statistics over one bounding pass, partition selection) is an immutable,
 * `kind`-tagged object resolved before any data is read, with `noise: 'laplace' | 'gaussian'`,
 * and a `release…` function applies it to a bounded aggregate. Accounting (naive and zCDP,
 * budget splits) and predicted errors work from the mechanisms' parameters alone.
 *
 * @example
 * ```ts
 * import { countMechanism, releaseCount, secureRandom } from './dp/index.js';
 * const m = countMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 });
 * const { value, ci95 } = releaseCount(m, 1234n, secureRandom());
 * ```
 */
export { DpParameterError } from './errors.js';
export { DpPipelineError } from './pipeline-error.js';
export { type RandomSource, secureRandom, seededRandom } from './random-source.js';
export { type Rational, rationalFromNumber, rationalToNumber } from './rational.js';
export { sampleBernoulliExp, sampleBernoulliRational } from './bernoulli.js';
export { sampleDiscreteLaplace } from './discrete-laplace.js';
export { simulationNoise } from './simulation-noise.js';
export { discreteLaplaceHalfWidth, discreteLaplaceScale } from './laplace-calibration.js';
export { chooseGranularity } from './granularity.js';
export { normalizedSquare, type ValueGrid, valueGrid } from './value-grid.js';
export {
  type ContributionBounds,
  countL1Sensitivity,
  describeGuarantee,
  rowSensitivity,
  userPartitionSensitivity,
} from './contribution-bounds.js';
export { type CountMechanism, countMechanism, type NoiseOptions, releaseCount } from './count-mechanism.js';
export {
  type MeanMechanism,
  meanMechanism,
  normalizedValue,
  quantize,
  releaseMean,
} from './mean-mechanism.js';
export { boundContributions, type Contribution, newSamplingSalt } from './bound-contributions.js';
export {
  continualIntervalMethod,
  continualNodeScale,
  type ContinualMechanism,
  type ContinualNoise,
  type ContinualRelease,
  continualSensitivity,
  continualTreeMechanism,
  differenceStream,
  presenceFlips,
  releaseContinual,
  treeLevels,
} from './continual-release.js';
export {
  discreteGaussianHalfWidth,
  discreteGaussianSigma2ForRho,
  sampleDiscreteGaussian,
} from './discrete-gaussian.js';
export {
  type AccountantEntry,
  NaiveAccountant,
  pureEpsilonToRho,
  rhoForEpsilonDelta,
  rhoToDelta,
  rhoToEpsilon,
  simpleRhoToEpsilon,
  splitBudget,
  ZcdpAccountant,
} from './accounting.js';
export {
  type PartitionSelectionMechanism,
  partitionSelection,
  type PartitionSelectionStrategy,
  selectPartition,
} from './partition-selection.js';
export {
  type MechanismBudget,
  type Noise,
  type NoiseKind,
  noiseExpectedAbs,
  noiseHalfWidth,
  noiseStddev,
  type StatisticParams,
  type ValueStatisticParams,
} from './noise.js';
export { releaseSum, type SumMechanism, sumMechanism } from './sum-mechanism.js';
export {
  type PrivacyIdCountMechanism,
  privacyIdCountMechanism,
  releasePrivacyIdCount,
} from './privacy-id-count-mechanism.js';
export { releaseVariance, type VarianceMechanism, varianceMechanism } from './variance-mechanism.js';
export {
  accumulatePartition,
  type CalibratedPart,
  type MultiStatAggregate,
  type MultiStatMechanism,
  multiStatMechanism,
  type PartName,
  releaseMultiStat,
  type Statistic,
  type StatisticRelease,
} from './multi-stat-mechanism.js';
export {
  QUANTILE_INTERVAL,
  quantileLeaf,
  type QuantileMechanism,
  quantileMechanism,
  type QuantileRelease,
  releaseQuantiles,
} from './quantile-mechanism.js';
export { type AnyMechanism, type PredictedError, predictedError } from './utility.js';
