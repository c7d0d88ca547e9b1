import type { PipelineConfig } from '../config/index.js';
import { describeGuarantee } from '../dp/index.js';
import { planAll } from './plan.js';

const fmt = (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toPrecision(4));

/** The plan of every analysis, step by step, and the budget a month of releases spends. */
export function explainConfig(config: PipelineConfig, source: string): string {
  const plans = planAll(config);
  const lines: string[] = [];
  lines.push(`Config: ${source}`);
  lines.push(
    `Privacy unit: the user (fullVisitorId / user_id, pseudonymized in Silver). Windows: calendar months,`,
  );
  lines.push(`released once each, ${config.lateness_days} day(s) after the month closes.`);
  lines.push('');
  plans.forEach((p, i) => {
    lines.push(
      `${i + 1}. ${p.name} — ${p.kind.toUpperCase()} of ${p.kind === 'mean' ? p.valueColumn : 'sessions'} by ${p.partitionBy}`,
    );
    lines.push(
      `   partitions (public, all released, empty ones with noise): ${p.publicPartitions.join(', ')}`,
    );
    lines.push(
      `   bounding: per user keep ≤ ${p.bounds.maxContributionsPerPartition} session(s) per partition (Linf) and ≤ ${p.bounds.maxPartitionsContributed} partition(s) (L0), chosen uniformly at random`,
    );
    if (p.kind === 'count') {
      const m = p.mechanism;
      lines.push(
        `   noise: discrete Laplace, sensitivity ${m.l1Sensitivity}, scale ${fmt(m.scaleNumber)}, ε = ${p.epsilon}, δ = 0`,
      );
      lines.push(
        `   accuracy: each count is within ±${m.halfWidth95} of the bounded count with 95% probability`,
      );
    } else {
      const m = p.mechanism;
      const num = (r: { num: bigint; den: bigint }): number => Number(r.num) / Number(r.den);
      lines.push(
        `   values clamped to [${m.lo}, ${m.hi}] ${p.unit}, rounded to a grid of ${m.granularity} ${p.unit}`,
      );
      lines.push(
        `   noise: discrete Laplace on the count (ε = ${m.countEpsilon}, scale ${fmt(num(m.countScale))}) and on the normalized sum (ε = ${m.sumEpsilon}, scale ${fmt((num(m.sumScale) * m.granularity) / 2)} ${p.unit})`,
      );
      lines.push(
        `   accuracy: count ±${m.countHalfWidth}, sum ±${fmt((m.sumHalfWidth * m.granularity) / 2)} ${p.unit} at 97.5% each; the mean's interval combines both`,
      );
    }
    lines.push(`   guarantee: ${describeGuarantee(p.epsilon, p.bounds)}`);
    lines.push('');
  });
  const perMonth = plans.reduce((acc, p) => acc + p.epsilon, 0);
  lines.push(
    `Budget: each month's releases spend ε = ${fmt(perMonth)} of a monthly cap of ε = ${config.budget.monthly_epsilon_cap} (naive composition).`,
  );
  if (perMonth > config.budget.monthly_epsilon_cap) {
    lines.push(
      `WARNING: one month of releases exceeds the cap; runs will stop with exit 3 before releasing.`,
    );
  }
  return lines.join('\n');
}
