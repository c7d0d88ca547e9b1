import type { PipelineConfig } from '../config/index.js';
import { describeGuarantee, predictedError } from '../dp/index.js';
import { composeCosts } from '../ledger/index.js';
import { planAll } from './plan.js';

// Rounded to 12 digits first, so a sum of shares (0.1 + 0.45 + 0.45) prints as the whole it is.
const fmt = (x: number): string => {
  const r = Number(x.toPrecision(12));
  return Number.isInteger(r) ? r.toLocaleString('en-US') : r.toPrecision(4);
};

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
    const what = p.statistics
      .flatMap((s) => s.statistics)
      .map((s) => s.toUpperCase())
      .join(' + ');
    const of = p.value ? p.value.column : 'sessions';
    lines.push(`${i + 1}. ${p.name} — ${what} of ${of} by ${p.partitionBy}`);
    lines.push(`   estimates: ${p.estimand}`);
    if (p.partitions.kind === 'public') {
      lines.push(
        `   partitions (public, all released, empty ones with noise): ${p.partitions.keys.join(', ')}`,
      );
    } else {
      lines.push(
        `   partitions: chosen privately (${p.partitions.strategy} partition selection on distinct users, ε = ${fmt(p.partitions.epsilon)}, δ = ${p.partitions.delta}); keys not released are not zeros`,
      );
      const [sel] = predictedError(p.partitions.mechanism);
      if (sel) {
        lines.push(
          `   partition selection keeps a key with probability 50% at ≈${fmt(sel.expectedAbsError)} and 95% at ≈${fmt(sel.halfWidth95)} distinct users (after bounding)`,
        );
      }
    }
    lines.push(
      `   bounding (one pass for all statistics): per user keep ≤ ${p.bounds.maxContributionsPerPartition} session(s) per partition (Linf) and ≤ ${p.bounds.maxPartitionsContributed} partition(s) (L0)${p.maxContributions !== undefined ? ` and ≤ ${p.maxContributions} session(s) in total` : ''}, chosen uniformly at random`,
    );
    if (p.value)
      lines.push(`   values of ${p.value.column} clamped to [${p.value.lo}, ${p.value.hi}] ${p.value.unit}`);
    const sel = p.selection;
    if (sel) {
      const which = [
        ...(sel.auto.l0 ? ['L0'] : []),
        ...(sel.auto.linf ? ['Linf'] : []),
        ...(sel.auto.clamp ? ['the upper value clamp'] : []),
      ].join(', ');
      lines.push(
        `   "auto": ${which} chosen privately per window, minimising predicted bias + noise over DP histograms of the contribution profile (ε = ${fmt(sel.epsilon)} of the analysis's ε); the bounds and numbers below are placeholders until then, the release states the chosen ones`,
      );
    }
    lines.push(
      `   budget: ε = ${fmt(p.epsilon)}, δ = ${p.delta} per window${sel ? ` (ε = ${fmt(sel.epsilon)} for choosing bounds)` : ''}, the rest split equally over ${p.statistics.length} statistic(s)${p.partitions.kind === 'private' ? ' and partition selection' : ''}`,
    );
    for (const s of p.statistics) {
      s.explain.forEach((line, j) => lines.push(`   ${j === 0 ? '-' : ' '} ${line}`));
    }
    lines.push(`   guarantee: ${describeGuarantee(p.epsilon, p.bounds)}`);
    lines.push('');
  });
  const policy = {
    epsilonCap: config.budget.monthly_epsilon_cap,
    deltaCap: config.budget.monthly_delta_cap,
    accounting: config.budget.accounting,
  };
  const composed = composeCosts(
    policy,
    plans.map((p) => p.cost),
  );
  const perMonth = composed.epsilon;
  const deltaPerMonth = composed.delta;
  lines.push(
    `Budget: each month's releases spend ε = ${fmt(perMonth)} of a monthly cap of ε = ${config.budget.monthly_epsilon_cap}, and δ = ${deltaPerMonth} of ${config.budget.monthly_delta_cap} (${config.budget.accounting} composition${config.budget.accounting === 'zcdp' ? `, ρ = ${fmt(composed.rho)}` : ''}).`,
  );
  if (
    perMonth > config.budget.monthly_epsilon_cap + 1e-9 ||
    deltaPerMonth > config.budget.monthly_delta_cap + 1e-15
  ) {
    lines.push(
      `WARNING: one month of releases exceeds the cap; runs will stop with exit 3 before releasing.`,
    );
  }
  return lines.join('\n');
}
