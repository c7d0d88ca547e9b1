/**
 * `node dist/bench/dp-error.js <lake> [repetitions]`: the error of each default analysis on a
 * lake whose Silver is already built (e.g. the GA360 year after `dp-pipeline run`), measured
 * against the exact bounded values, next to the error PipelineDP's formulas predict for the same
 * parameters (../shared/notes/dp-reference.md §1.3, §1.4, §4: Laplace 95% half-width b·ln 20 with
 * b = Δ₁/ε; Gaussian 1.96σ; MEAN by the delta method on its two noisy parts, with noise std
 * b·√2 for Laplace, σ for Gaussian). The exact values are computed here, outside Gold, and are
 * printed only as error statistics.
 *
 * Each (analysis, month) is bounded once; its statistics are then released `repetitions` times
 * with fresh secure noise, and the 95th percentile of |DP − exact| is reported per statistic,
 * pooled over partitions (counts) or averaged per partition (means, whose error depends on n).
 */
import { join, resolve } from 'node:path';
import { boundedAggregates } from '../src/analyses/release.js';
import { monthWindow, monthsOf, planAll, type AnalysisPlan } from '../src/analyses/index.js';
import { loadConfig } from '../src/config/index.js';
import { secureRandom } from '../src/dp/index.js';
import { openRunContext } from '../src/pipeline/context.js';
import { CommittedView, dateOfSilverKey } from '../src/lake/index.js';
import { readSilver } from '../src/silver/silver-source.js';
import { FsLake } from '../src/storage/index.js';

const lakeDir = resolve(process.argv[2] ?? './lake');
const reps = Number(process.argv[3] ?? 200);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function noiseStd(p: AnalysisPlan, part: 'count' | 'sum'): number {
  // Per PipelineDP: Laplace b = Δ₁/ε (std b√2), Gaussian σ; in the value's unit for the sum.
  const param = p.statistics[0]!.parameters;
  const scale = Number(part === 'sum' ? param.sum_noise_scale : param.count_noise_scale);
  return p.noise === 'laplace' ? scale * Math.SQRT2 : scale;
}

function predictedCount95(p: AnalysisPlan): number {
  const scale = Number(p.statistics[0]!.parameters.count_noise_scale);
  return p.noise === 'laplace' ? scale * Math.log(20) : 1.96 * scale;
}

/** The exact bounded quantile (midpoint of the leaf where the rank is reached). */
function exactQuantile(plan: AnalysisPlan, hist: ReadonlyMap<bigint, bigint>, n: bigint, q: number): number {
  const l = plan.quantileLeaves!;
  const width = (l.hi - l.lo) / l.count;
  const target = q * Number(n);
  let acc = 0;
  for (const [leaf, c] of [...hist.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    acc += Number(c);
    if (acc >= target) return l.lo + (Number(leaf) + 0.5) * width;
  }
  return l.hi;
}

async function main(): Promise<void> {
  const lake = new FsLake(lakeDir);
  const config = await loadConfig(process.env.DP_CONFIG);
  const { ctx, close } = await openRunContext({ lake, config, purpose: 'error' });
  const { tmpDir, engine } = ctx;
  const rng = secureRandom();
  try {
    const keys = await (await CommittedView.open(ctx.lake)).files('silver');
    const months = monthsOf(keys.flatMap((k) => dateOfSilverKey(k) ?? []));
    const silver = await readSilver(lake, engine, keys, join(tmpDir, 'silver'));
    const windows = months.map(monthWindow);
    for (const plan of planAll(config)) {
      const aggs = await boundedAggregates(engine, plan, silver, windows, rng);
      const countErr: number[] = [];
      const meanRows: { n: number; measured: number; predicted: number }[] = [];
      const quantileErr = new Map<string, number[]>();
      let kept = 0;
      let expectedKept = 0;
      let seen = 0;
      for (const w of windows) {
        const byKey = aggs.get(w.id)!;
        const partKeys = plan.partitions.kind === 'public' ? plan.partitions.keys : [...byKey.keys()];
        for (const key of partKeys) {
          const agg = byKey.get(key) ?? { count: 0n, users: 0n, normalizedSum: 0n, normalizedSumSquares: 0n };
          if (plan.partitions.kind === 'private') {
            seen++;
            expectedKept += plan.partitions.mechanism.keepProbability(Number(agg.users));
          }
          for (const s of plan.statistics) {
            const errs: number[] = [];
            for (let r = 0; r < reps; r++) {
              const out = s.release(agg, rng);
              if (out.count) countErr.push(Math.abs(out.count.value - Number(agg.count)));
              for (const q of plan.quantiles ?? []) {
                const name = `p${Number((q * 100).toPrecision(6))}`;
                const got = out[name];
                if (!got || agg.count === 0n) continue;
                const exact = exactQuantile(plan, agg.histogram ?? new Map(), agg.count, q);
                quantileErr.set(name, [...(quantileErr.get(name) ?? []), Math.abs(got.value - exact)]);
              }
              if (out.mean && agg.count > 0n) {
                const g = plan.grid!;
                const exact =
                  (g.granularity *
                    (Number(g.loUnits + g.hiUnits) + Number(agg.normalizedSum) / Number(agg.count))) /
                  2;
                errs.push(Math.abs(out.mean.value - exact));
              }
            }
            if (errs.length > 0) {
              const n = Number(agg.count);
              const g = plan.grid!;
              const mid = (g.lo + g.hi) / 2;
              const exact =
                (g.granularity * (Number(g.loUnits + g.hiUnits) + Number(agg.normalizedSum) / n)) / 2;
              // Delta method on mid + S/C: var ≈ (σ_S² + (mean − mid)²·σ_C²) / n².
              const sd =
                Math.sqrt(noiseStd(plan, 'sum') ** 2 + (exact - mid) ** 2 * noiseStd(plan, 'count') ** 2) / n;
              meanRows.push({ n, measured: quantile(errs, 0.95), predicted: 1.96 * sd });
            }
          }
        }
      }
      if (plan.partitions.kind === 'private') {
        const rngSel = secureRandom();
        const { selectPartition } = await import('../src/dp/index.js');
        for (const w of windows) {
          for (const agg of aggs.get(w.id)!.values()) {
            if (selectPartition(plan.partitions.mechanism, agg.users, rngSel)) kept++;
          }
        }
      }
      const lines: string[] = [`${plan.name} (${plan.noise}, ε = ${plan.epsilon}, ${windows.length} months)`];
      if (countErr.length > 0) {
        lines.push(
          `  COUNT  measured p95 |error| = ${quantile(countErr, 0.95)}  PipelineDP predicted = ${predictedCount95(plan).toFixed(2)}  our exact half-width = ${plan.statistics[0]!.predictedError95.count}  (n = ${countErr.length} releases)`,
        );
      }
      if (meanRows.length > 0) {
        const ratio = meanRows.map((r) => r.measured / r.predicted);
        const big = meanRows.filter((r) => r.n >= 1000);
        const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
        lines.push(
          `  MEAN   over ${meanRows.length} partition-months: median measured/predicted p95 = ${quantile(ratio, 0.5).toFixed(3)}; partitions with n ≥ 1000: measured p95 ${avg(big.map((r) => r.measured)).toPrecision(3)} vs predicted ${avg(big.map((r) => r.predicted)).toPrecision(3)} ${plan.value?.unit} (mean over ${big.length})`,
        );
      }
      for (const [name, errs] of quantileErr) {
        lines.push(
          `  ${name.toUpperCase()}    measured p95 |error| = ${quantile(errs, 0.95).toFixed(3)} ${plan.value?.unit}, median ${quantile(errs, 0.5).toFixed(3)} (n = ${errs.length} releases; exact = bounded quantile's leaf midpoint)`,
        );
      }
      if (plan.partitions.kind === 'private') {
        lines.push(
          `  SELECTION  keys seen ${seen}, kept ${kept}, expected kept by keepProbability ${expectedKept.toFixed(1)}`,
        );
      }
      process.stdout.write(lines.join('\n') + '\n');
    }
  } finally {
    await close();
  }
}

await main();
