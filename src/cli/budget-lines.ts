import type { BudgetState, MonthBudget } from '../ledger/index.js';

const fmt = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 6 });

const COMPOSITION: Record<BudgetState['statement'], string> = {
  naive: 'ε and δ summed',
  zcdp: 'composed in zCDP',
  hybrid: 'pure ε summed, ρ composed in zCDP',
};

/** `total 2016-08: ε 5.2 of 8 spent, 2.8 remaining, 7 release(s) of every metric (δ = 0.00001, …)` */
export function totalLine(t: BudgetState): string {
  return (
    `total ${t.period}: ε ${fmt(t.epsilonSpent)} of ${fmt(t.epsilonCap)} spent, ${fmt(t.epsilonRemaining)} remaining, ` +
    `${t.releaseCount} release(s) of every metric (δ = ${t.deltaSpent} of ${t.deltaCap}, ${COMPOSITION[t.statement]}): the per-person guarantee of the month`
  );
}

/** `analyses 2016-08: ε 4 of 4 spent, 0 remaining, 4 release(s) (δ = 0.000001, naive accounting)` */
export function metricLine(s: BudgetState): string {
  return (
    `${s.metric} ${s.period}: ε ${fmt(s.epsilonSpent)} of ${fmt(s.epsilonCap)} spent, ${fmt(s.epsilonRemaining)} remaining, ` +
    `${s.releaseCount} release(s) (δ = ${s.deltaSpent}, ${COMPOSITION[s.statement]})`
  );
}

/** One cap as JSON, in the field names of `GET /budget/{metric}`. */
export function stateBody(s: BudgetState): Record<string, unknown> {
  return {
    metric: s.metric,
    period: s.period,
    epsilon_cap: s.epsilonCap,
    epsilon_spent: s.epsilonSpent,
    epsilon_remaining: s.epsilonRemaining,
    delta: s.deltaSpent,
    delta_cap: s.deltaCap,
    release_count: s.releaseCount,
    composition: s.statement,
  };
}

/** A whole month as JSON: the total, then every metric. */
export function monthBody(m: MonthBudget): Record<string, unknown> {
  return {
    period: m.period,
    next_reset: m.nextReset,
    total: stateBody(m.total),
    metrics: Object.fromEntries(Object.entries(m.metrics).map(([k, s]) => [k, stateBody(s)])),
  };
}
