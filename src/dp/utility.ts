import type { CountMechanism } from './count-mechanism.js';
import { DpParameterError } from './errors.js';
import type { MeanMechanism } from './mean-mechanism.js';
import type { MultiStatMechanism, PartName } from './multi-stat-mechanism.js';
import { type Noise, noiseExpectedAbs, noiseHalfWidth, noiseStddev } from './noise.js';
import type { PartitionSelectionMechanism } from './partition-selection.js';
import type { PrivacyIdCountMechanism } from './privacy-id-count-mechanism.js';
import type { QuantileMechanism } from './quantile-mechanism.js';
import type { SumMechanism } from './sum-mechanism.js';
import type { VarianceMechanism } from './variance-mechanism.js';
import type { ValueGrid } from './value-grid.js';

/** Any mechanism of `dp/`. */
export type AnyMechanism =
  | CountMechanism
  | PrivacyIdCountMechanism
  | SumMechanism
  | MeanMechanism
  | VarianceMechanism
  | MultiStatMechanism
  | QuantileMechanism
  | PartitionSelectionMechanism;

/** The error a mechanism is expected to make, from its parameters alone (no data read). */
export interface PredictedError {
  readonly statistic: string;
  /** E|released − true|, in the statistic's units. */
  readonly expectedAbsError: number;
  /** Noise standard deviation, in the statistic's units. */
  readonly stddev: number;
  /** Half-width of the 95% interval, in the statistic's units. */
  readonly halfWidth95: number;
  /** How it was computed: "exact" (from the noise distribution) or the approximation used. */
  readonly method: string;
}

const EXACT = 'exact: from the noise distribution';
const DELTA_METHOD =
  'first-order (delta method) for a partition of `partitionSize` rows, worst case over values; a good guide once partitionSize ≫ the count noise';

/**
 * Predicted error of each statistic of a mechanism, as `explain --utility` prints it. COUNT,
 * PRIVACY_ID_COUNT and SUM are exact (the noise is additive and unbiased). MEAN, VARIANCE and
 * quantiles depend on the partition size (`options.partitionSize`, rows after bounding) and use
 * first-order approximations (stated in `method`). Partition selection reports the user counts at
 * which a partition is kept with probability 50% and 95%, as `halfWidth95` / `expectedAbsError`.
 *
 * @example
 * ```ts
 * predictedError(countMechanism(1, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }));
 * // [{ statistic: 'count', expectedAbsError: 0.85, stddev: 1.36, halfWidth95: 3, method: 'exact: …' }]
 * ```
 */
export function predictedError(
  m: AnyMechanism,
  options: { readonly partitionSize?: number } = {},
): PredictedError[] {
  const n = (): number => {
    const size = options.partitionSize;
    if (typeof size !== 'number' || !(size >= 1)) {
      throw new DpParameterError(
        `predicting a ${m.kind} error needs partitionSize >= 1 (rows per partition after bounding)`,
      );
    }
    return size;
  };
  switch (m.kind) {
    case 'count':
    case 'privacy_id_count':
      return [exact(m.kind, m.noise, 1)];
    case 'sum':
      return [exact('sum', m.noise, m.granularity)];
    case 'mean':
      return [meanError(m, m.countNoise, m.sumNoise, n())];
    case 'variance':
      return [varianceError(m, m.count.noise, m.normalizedSum.noise, m.normalizedSumOfSquares.noise, n())];
    case 'multi_stat':
      return m.statistics.map((s) => {
        const part = (name: PartName): Noise => m.parts[name]!.noise;
        if (s === 'count') return exact('count', part('count'), 1);
        if (s === 'privacy_id_count') return exact('privacy_id_count', part('privacy_id_count'), 1);
        if (s === 'sum' && m.parts.sum) return exact('sum', part('sum'), m.grid!.granularity);
        if (s === 'sum') {
          // Derived: g·(mid2·n + V)/2, so noise g·(mid2·Zn + Zv)/2.
          const g = m.grid!;
          const mid = Math.abs(Number(g.loUnits + g.hiUnits) / 2);
          const sd =
            g.granularity *
            Math.sqrt(
              (mid * noiseStddev(part('count'))) ** 2 + (noiseStddev(part('normalized_sum')) / 2) ** 2,
            );
          return {
            statistic: 'sum',
            stddev: sd,
            expectedAbsError: sd * Math.sqrt(2 / Math.PI),
            halfWidth95: 1.96 * sd,
            method: 'normal approximation of the derived sum',
          };
        }
        if (s === 'mean') return meanError(m.grid!, part('count'), part('normalized_sum'), n());
        return varianceError(
          m.grid!,
          part('count'),
          part('normalized_sum'),
          part('normalized_sum_of_squares'),
          n(),
        );
      });
    case 'quantiles': {
      // A prefix count sums at most (b − 1) nodes per level; on average about half of them.
      const nodes = ((m.branching - 1) * m.height) / 2;
      const rankSd = Math.sqrt(nodes) * noiseStddev(m.noise);
      const size = n();
      return m.quantiles.map((q) => ({
        statistic: `quantile ${q}`,
        stddev: rankSd / size,
        expectedAbsError: (rankSd / size) * Math.sqrt(2 / Math.PI),
        halfWidth95: (1.96 * rankSd) / size,
        method: `in RANK units (fraction of the partition's rows): noise of a prefix count over ~${nodes} tree nodes; multiply by the value spread per unit of rank for a value error`,
      }));
    }
    case 'partition_selection': {
      let n50 = 1;
      while (m.keepProbability(n50) < 0.5) n50 += 1;
      let n95 = n50;
      while (m.keepProbability(n95) < 0.95) n95 += 1;
      return [
        {
          statistic: 'partition_selection',
          expectedAbsError: n50,
          stddev: NaN,
          halfWidth95: n95,
          method: `users needed: kept with probability 50% at ${n50} users, 95% at ${n95} (expectedAbsError and halfWidth95 hold those user counts)`,
        },
      ];
    }
  }
}

function exact(statistic: string, noise: Noise, unit: number): PredictedError {
  return {
    statistic,
    expectedAbsError: noiseExpectedAbs(noise) * unit,
    stddev: noiseStddev(noise) * unit,
    halfWidth95: noiseHalfWidth(noise, 0.95) * unit,
    method: EXACT,
  };
}

/** mean ≈ mid + (g/2)·V/n: error ≈ ((g/2)·Zv − (mean − mid)·Zn)/n, worst case |mean − mid| = (hi − lo)/2. */
function meanError(grid: ValueGrid, countNoise: Noise, sumNoise: Noise, n: number): PredictedError {
  const half = (grid.hi - grid.lo) / 2;
  const sd =
    Math.sqrt(((grid.granularity / 2) * noiseStddev(sumNoise)) ** 2 + (half * noiseStddev(countNoise)) ** 2) /
    n;
  const hw =
    ((grid.granularity / 2) * noiseHalfWidth(sumNoise, 0.975) + half * noiseHalfWidth(countNoise, 0.975)) / n;
  return {
    statistic: 'mean',
    stddev: Math.min(sd, half),
    expectedAbsError: Math.min(sd * Math.sqrt(2 / Math.PI), half),
    halfWidth95: Math.min(hw, 2 * half),
    method: DELTA_METHOD,
  };
}

/** var ≈ (g/2)²·(W/(2n) + R²/2 − (V/n)²): first-order noise terms Zw/(2n), 2·R·Zv/n and R²·Zn/n (worst case). */
function varianceError(
  grid: ValueGrid,
  countNoise: Noise,
  sumNoise: Noise,
  squaresNoise: Noise,
  n: number,
): PredictedError {
  const r = Number(grid.hiUnits - grid.loUnits);
  const unit2 = (grid.granularity / 2) ** 2;
  const max = unit2 * r * r;
  const sd =
    (unit2 *
      Math.sqrt(
        (noiseStddev(squaresNoise) / 2) ** 2 +
          (2 * r * noiseStddev(sumNoise)) ** 2 +
          (r * r * noiseStddev(countNoise)) ** 2,
      )) /
    n;
  const hw =
    (unit2 *
      (noiseHalfWidth(squaresNoise, 1 - 0.05 / 3) / 2 +
        2 * r * noiseHalfWidth(sumNoise, 1 - 0.05 / 3) +
        r * r * noiseHalfWidth(countNoise, 1 - 0.05 / 3))) /
    n;
  return {
    statistic: 'variance',
    stddev: Math.min(sd, max),
    expectedAbsError: Math.min(sd * Math.sqrt(2 / Math.PI), max),
    halfWidth95: Math.min(hw, max),
    method: DELTA_METHOD,
  };
}
