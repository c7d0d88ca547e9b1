import { join } from 'node:path';
import {
  computeReleases,
  monthWindow,
  monthsOf,
  planAll,
  type AnalysisPlan,
  type Window,
} from '../analyses/index.js';
import type { PipelineConfig } from '../config/index.js';
import { secureRandom, type RandomSource } from '../dp/index.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { openRunContext } from '../pipeline/context.js';
import { CommittedView, dateOfSilverKey } from '../lake/index.js';
import { readSilver } from '../silver/silver-source.js';
import type { Lake } from '../storage/index.js';
import { evaluationChartSpec } from './chart.js';
import { renderSpec } from '../gold/plot/index.js';
import { evaluationHtml } from './html.js';
import { median, quantile, relativeError } from './stats.js';
import { unboundedTruthSql } from './truth-sql.js';

/** Written on every output of `evaluate`, so nobody mistakes a simulation for a release. */
export const SIMULATION_LABEL = 'SIMULATION — not a release';
export const EVALUATION_SCHEMA = 'dp-pipeline/evaluation@1';
export const EVALUATION_PREFIX = 'evaluation/';

export interface EvaluateOptions {
  readonly lake: Lake;
  readonly config: PipelineConfig;
  /** Simulated releases per (analysis, window). */
  readonly runs: number;
  /** `YYYY-MM`; default every month with Silver data. */
  readonly window?: string;
  readonly log?: Logger;
  readonly progress?: (phase: string, done: number, total: number) => void;
  /** Noise source; the default is the secure one, tests inject a seeded source. */
  readonly rng?: RandomSource;
  readonly now?: Date;
}

export interface PartitionEvaluation {
  readonly key: string;
  /** Every session counted, values not clamped. */
  readonly raw_unbounded: number | null;
  /** After per-visitor bounding (and clamping): what the 95% interval is meant to cover. Varies between runs with the sampling of kept rows. */
  readonly bounded: {
    readonly median: number | null;
    readonly min: number | null;
    readonly max: number | null;
  };
  /** The DP values over the runs that released this partition. */
  readonly dp: {
    readonly median: number;
    readonly p5: number;
    readonly p95: number;
    readonly mean: number;
  } | null;
  readonly ci95_half_width_median: number | null;
  /** Median over runs of |DP − raw unbounded| / |raw unbounded|. */
  readonly relative_error_median: number | null;
  /** Median over runs of |DP − bounded| / |bounded|: the part due to noise alone. */
  readonly relative_error_vs_bounded_median: number | null;
  /** Median over runs of (bounded − raw) / |raw|: the signed bounding bias (clipping, clamping). */
  readonly relative_bias_median: number | null;
  /** Median over runs of |DP − bounded| / |raw|: the noise, relative to the raw value. */
  readonly relative_noise_median: number | null;
  /** Fraction of runs whose 95% interval covered that run's bounded value. */
  readonly coverage: number | null;
  readonly runs_released: number;
  /** Runs in which the partition had data but was not in the release (private partition selection). */
  readonly runs_lost_to_partition_selection: number;
}

export interface AnalysisEvaluation {
  readonly analysis: string;
  readonly description: string;
  readonly statistic: string;
  readonly partition_by: string;
  readonly window: { readonly id: string; readonly start: string; readonly end: string };
  readonly epsilon: number;
  readonly unit: string | null;
  readonly summary: {
    /** Median over all (partition, run) pairs of the relative error against the raw unbounded value. */
    readonly median_relative_error: number | null;
    readonly median_relative_error_vs_bounded: number | null;
    /** Over all (partition, run) pairs with a bounded value. */
    readonly coverage: number | null;
    readonly partitions: number;
    readonly partition_runs_lost: number;
    /** Median over (partition, run) pairs of |bounded − raw| / |raw|: error due to bounding alone. */
    readonly median_relative_bias: number | null;
    /** Median over (partition, run) pairs of |DP − bounded| / |raw|: error due to noise alone. */
    readonly median_relative_noise: number | null;
    /**
     * Median, over the {@link LARGEST_PARTITIONS} partitions with the largest raw value (all of them
     * when fewer), of each partition's median relative error: what a reader of the top of the table sees.
     */
    readonly median_relative_error_largest: number | null;
  };
  /** The bounds each run used (chosen privately per run when "auto"), with how many runs chose them. */
  readonly bounds_chosen: readonly {
    readonly max_partitions_contributed: number;
    readonly max_contributions_per_partition: number;
    readonly bounds?: readonly [number, number];
    readonly runs: number;
  }[];
  readonly partitions: readonly PartitionEvaluation[];
  readonly chart: { readonly svg: string; readonly png: string };
}

export interface Evaluation {
  readonly schema: typeof EVALUATION_SCHEMA;
  readonly label: typeof SIMULATION_LABEL;
  readonly created_at: string;
  readonly runs: number;
  readonly windows: readonly string[];
  readonly analyses: readonly AnalysisEvaluation[];
}

export interface EvaluateResult {
  readonly evaluation: Evaluation;
  /** Keys inside the `private` container. */
  readonly jsonKey: string;
  readonly htmlKey: string;
}

interface RunSample {
  readonly value: number | undefined;
  readonly run: number;
  readonly ci95: readonly [number, number] | undefined;
  readonly bounded: number | undefined;
}

/**
 * Evaluation mode for the data owner: reruns every configured analysis `runs` times on Silver
 * through the release code path (same bounding SQL, same mechanisms), as simulations that are
 * never written to Gold and never charged to the budget, and compares them with the raw values.
 * Writes `private/evaluation/<id>/evaluation.json`, `evaluation.html` and `charts/`. Raw values
 * appear only there.
 *
 * @example
 * ```ts
 * const { evaluation, htmlKey } = await evaluate({ lake, config, runs: 50, window: '2016-08' });
 * ```
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const { ctx, close } = await openRunContext({ ...options, purpose: 'evaluate' });
  const { runId: id, tmpDir, engine, now, progress } = ctx;
  const rng = options.rng ?? secureRandom();
  try {
    const silverKeys = await (await CommittedView.open(ctx.lake)).files('silver');
    const available = monthsOf(silverKeys.flatMap((k) => dateOfSilverKey(k) ?? []));
    if (available.length === 0) {
      throw new UserError(`no Silver data in ${options.lake.describe()}; run 'dp-pipeline run' first`);
    }
    if (options.window !== undefined && !available.includes(options.window)) {
      throw new UserError(
        `--window ${options.window}: no Silver data for that month; months with data: ${available.join(', ')}`,
      );
    }
    const months = options.window !== undefined ? [options.window] : available;
    const windows = months.map(monthWindow);
    const keys = silverKeys.filter((k) => months.includes((dateOfSilverKey(k) ?? '').slice(0, 7)));
    const silver = await readSilver(ctx.lake, engine, keys, join(tmpDir, 'silver'));
    const plans = planAll(options.config);
    const prefix = `${EVALUATION_PREFIX}${id}/`;
    const priv = options.lake.objects('private');
    const analyses: AnalysisEvaluation[] = [];
    let done = 0;
    const total = plans.length * options.runs;
    for (const plan of plans) {
      const truth = new Map<string, Map<string, number | null>>();
      for (const row of await engine.all<{ w: string; pk: string; value: number | null }>(
        unboundedTruthSql(plan, silver, windows),
      )) {
        if (!truth.has(row.w)) truth.set(row.w, new Map());
        truth.get(row.w)!.set(row.pk, row.value === null ? null : Number(row.value));
      }
      const samples = new Map<string, RunSample[]>(); // `${window}\u0000${key}` → one sample per run
      const chosen = new Map<string, Map<string, Mutable<AnalysisEvaluation['bounds_chosen'][number]>>>();
      for (let run = 0; run < options.runs; run++) {
        const bounded = new Map<string, number | undefined>();
        const releases = await computeReleases(
          engine,
          plan,
          silver,
          windows,
          rng,
          { runId: `${id}-simulation-${run}`, createdAt: now.toISOString() },
          (w, key, value) => bounded.set(`${w}\u0000${key}`, value),
        );
        for (const w of windows) {
          const release = releases.get(w.id)!;
          const bounds = {
            max_partitions_contributed: release.privacy.max_partitions_contributed,
            max_contributions_per_partition: release.privacy.max_contributions_per_partition,
            ...(release.privacy.bounds ? { bounds: release.privacy.bounds } : {}),
          };
          const byBounds = chosen.get(w.id) ?? new Map();
          const id = JSON.stringify(bounds);
          const seen = byBounds.get(id) ?? { ...bounds, runs: 0 };
          seen.runs++;
          byBounds.set(id, seen);
          chosen.set(w.id, byBounds);
          const released = new Map(release.partitions.map((p) => [p.key, p]));
          for (const key of candidateKeys(plan, w.id, truth, bounded)) {
            const k = `${w.id}\u0000${key}`;
            const p = released.get(key);
            const list = samples.get(k) ?? [];
            list.push({ value: p?.value, run, ci95: p?.ci95, bounded: bounded.get(k) });
            samples.set(k, list);
          }
        }
        progress('simulating', ++done, total);
      }
      for (const w of windows) {
        const evaluation = evaluateAnalysis(
          plan,
          w,
          truth.get(w.id) ?? new Map(),
          samples,
          [...(chosen.get(w.id)?.values() ?? [])].sort((a, b) => b.runs - a.runs),
        );
        const base = `charts/${plan.name}-${w.id}`;
        const chart = await renderSpec(evaluationChartSpec(evaluation, options.runs, SIMULATION_LABEL));
        await priv.write(`${prefix}${base}.svg`, chart.svg, { contentType: 'image/svg+xml' });
        await priv.write(`${prefix}${base}.png`, chart.png, { contentType: 'image/png' });
        analyses.push({ ...evaluation, chart: { svg: `${base}.svg`, png: `${base}.png` } });
      }
    }
    const result: Evaluation = {
      schema: EVALUATION_SCHEMA,
      label: SIMULATION_LABEL,
      created_at: now.toISOString(),
      runs: options.runs,
      windows: months,
      analyses,
    };
    const jsonKey = `${prefix}evaluation.json`;
    const htmlKey = `${prefix}evaluation.html`;
    await priv.write(jsonKey, JSON.stringify(result, null, 2) + '\n', { contentType: 'application/json' });
    const svgs = new Map<string, string>();
    for (const a of analyses)
      svgs.set(a.chart.svg, (await priv.read(`${prefix}${a.chart.svg}`)).toString('utf8'));
    await priv.write(htmlKey, evaluationHtml(result, svgs), { contentType: 'text/html; charset=utf-8' });
    ctx.log.info({ evaluation: id, runs: options.runs, analyses: analyses.length }, 'evaluation written');
    return { evaluation: result, jsonKey, htmlKey };
  } finally {
    await close();
  }
}

function evaluateAnalysis(
  plan: AnalysisPlan,
  window: Window,
  truth: ReadonlyMap<string, number | null>,
  samples: ReadonlyMap<string, RunSample[]>,
  boundsChosen: AnalysisEvaluation['bounds_chosen'],
): Omit<AnalysisEvaluation, 'chart'> {
  const allRel: number[] = [];
  const allRelBounded: number[] = [];
  const allBias: number[] = [];
  const allNoise: number[] = [];
  let covered = 0;
  let coverable = 0;
  let lost = 0;
  const keys =
    plan.partitions.kind === 'public'
      ? plan.partitions.keys
      : [...new Set([...truth.keys()].filter((k) => samples.has(`${window.id}\u0000${k}`)))].sort();
  const partitions: PartitionEvaluation[] = keys.map((key) => {
    const runs = samples.get(`${window.id}\u0000${key}`) ?? [];
    const raw = truth.get(key) ?? (plan.kind === 'count' ? 0 : null);
    const released = runs.filter((r) => r.value !== undefined);
    const values = released.map((r) => r.value!);
    const boundedValues = runs.flatMap((r) => (r.bounded === undefined ? [] : [r.bounded]));
    const rel: number[] = [];
    const relBounded: number[] = [];
    const bias: number[] = [];
    const noise: number[] = [];
    let c = 0;
    let n = 0;
    for (const r of released) {
      const e1 = relativeError(r.value!, raw ?? undefined);
      if (e1 !== undefined) rel.push(e1);
      const e2 = relativeError(r.value!, r.bounded);
      if (e2 !== undefined) relBounded.push(e2);
      if (r.bounded !== undefined && raw !== null && raw !== 0) {
        bias.push((r.bounded - raw) / Math.abs(raw));
        noise.push(Math.abs(r.value! - r.bounded) / Math.abs(raw));
      }
      if (r.bounded !== undefined && r.ci95 !== undefined) {
        n++;
        if (r.ci95[0] <= r.bounded && r.bounded <= r.ci95[1]) c++;
      }
    }
    const lostHere = runs.filter((r) => r.value === undefined && (r.bounded ?? 0) !== 0).length;
    allRel.push(...rel);
    allRelBounded.push(...relBounded);
    allBias.push(...bias.map(Math.abs));
    allNoise.push(...noise);
    covered += c;
    coverable += n;
    lost += lostHere;
    const halfWidths = released.map((r) => (r.ci95![1] - r.ci95![0]) / 2);
    return {
      key,
      raw_unbounded: raw,
      bounded: {
        median: orNull(median(boundedValues)),
        min: boundedValues.length ? Math.min(...boundedValues) : null,
        max: boundedValues.length ? Math.max(...boundedValues) : null,
      },
      dp:
        values.length === 0
          ? null
          : {
              median: median(values),
              p5: quantile(values, 0.05),
              p95: quantile(values, 0.95),
              mean: values.reduce((a, b) => a + b, 0) / values.length,
            },
      ci95_half_width_median: orNull(median(halfWidths)),
      relative_error_median: orNull(median(rel)),
      relative_error_vs_bounded_median: orNull(median(relBounded)),
      relative_bias_median: orNull(median(bias)),
      relative_noise_median: orNull(median(noise)),
      coverage: n === 0 ? null : c / n,
      runs_released: released.length,
      runs_lost_to_partition_selection: lostHere,
    };
  });
  return {
    analysis: plan.name,
    description: plan.description,
    statistic: plan.kind,
    partition_by: plan.partitionBy,
    window: { id: window.id, start: window.start, end: window.end },
    epsilon: plan.epsilon,
    unit: plan.value?.unit ?? null,
    summary: {
      median_relative_error: orNull(median(allRel)),
      median_relative_error_vs_bounded: orNull(median(allRelBounded)),
      coverage: coverable === 0 ? null : covered / coverable,
      partitions: partitions.length,
      partition_runs_lost: lost,
      median_relative_bias: orNull(median(allBias)),
      median_relative_noise: orNull(median(allNoise)),
      median_relative_error_largest: orNull(
        median(
          partitions
            .filter((p) => p.raw_unbounded !== null && p.relative_error_median !== null)
            .sort((a, b) => b.raw_unbounded! - a.raw_unbounded!)
            .slice(0, LARGEST_PARTITIONS)
            .map((p) => p.relative_error_median!),
        ),
      ),
    },
    bounds_chosen: boundsChosen,
    partitions,
  };
}

/** How many of the largest partitions `median_relative_error_largest` summarises. */
export const LARGEST_PARTITIONS = 20;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function orNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * The partitions evaluated in one window: every public key, or with private selection every key
 * that has rows (in the raw data or after bounding), so keys lost to selection are counted.
 */
function candidateKeys(
  plan: AnalysisPlan,
  windowId: string,
  truth: ReadonlyMap<string, ReadonlyMap<string, number | null>>,
  bounded: ReadonlyMap<string, number | undefined>,
): string[] {
  if (plan.partitions.kind === 'public') return [...plan.partitions.keys];
  const keys = new Set(truth.get(windowId)?.keys() ?? []);
  const prefix = `${windowId}\u0000`;
  for (const k of bounded.keys()) if (k.startsWith(prefix)) keys.add(k.slice(prefix.length));
  return [...keys].sort();
}
