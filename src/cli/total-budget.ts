import { dauPlan, mauPlan, seriesPlan } from '../active-users/index.js';
import { planAll } from '../analyses/index.js';
import type { PipelineConfig } from '../config/index.js';
import { composeCosts, metricPolicy, pureCost, totalPolicy, type PrivacyCost } from '../ledger/index.js';

/** Default `explain --utility-epsilon`: one utility analysis's cost. */
const UTILITY_EPSILON = 0.1;

export interface TotalScenario {
  readonly label: string;
  readonly costs: readonly PrivacyCost[];
}

/**
 * What a month of the config's releases spends of the per-person total, in three scenarios:
 * the analyses alone; with typical DAU/MAU use (the month's DAU series, two MAU series charges —
 * the month's and the next month's, whose first windows reach back — and one 30-day MAU at the
 * month's end); and every metric spending all its own cap allows.
 */
export function totalScenarios(config: PipelineConfig): TotalScenario[] {
  const au = config.active_users;
  const analyses = planAll(config).map((p) => p.cost);
  const typical = [
    ...analyses,
    seriesPlan('dau', au).cost,
    seriesPlan('mau', au).cost,
    seriesPlan('mau', au).cost,
    mauPlan(au).cost,
  ];
  const dau = fill(config, 'dau', dauPlan(au).cost);
  const mau = fill(config, 'mau', mauPlan(au).cost);
  const utility = fill(config, 'utility', pureCost(UTILITY_EPSILON));
  return [
    { label: "the analyses' monthly releases", costs: analyses },
    {
      label: `with typical DAU/MAU use (the DAU series, two MAU series charges, one ${au.mau.window_days}-day MAU)`,
      costs: typical,
    },
    {
      label: `every metric at its own cap (the analyses, ${dau.length} DAU, ${mau.length} MAU, ${utility.length} utility analyses of ε = ${UTILITY_EPSILON})`,
      costs: [...analyses, ...dau, ...mau, ...utility],
    },
  ];
}

/** As many releases of `cost` as the metric's own cap admits. */
function fill(config: PipelineConfig, metric: 'dau' | 'mau' | 'utility', cost: PrivacyCost): PrivacyCost[] {
  const policy = metricPolicy(config, metric);
  const out: PrivacyCost[] = [];
  for (let i = 0; i < 10_000; i++) {
    const c = composeCosts(policy, [...out, cost]);
    if (c.epsilon > policy.epsilonCap + 1e-9 || c.delta > policy.deltaCap * (1 + 1e-9)) break;
    out.push(cost);
  }
  return out;
}

/** `explain`'s lines on the per-person monthly total. */
export function totalBudgetLines(config: PipelineConfig): string[] {
  const policy = totalPolicy(config);
  const fmt = (x: number): string => {
    const r = Number(x.toPrecision(12)); // a sum of shares (0.1 + 0.45 + 0.45) prints as its whole
    return Number.isInteger(r) ? String(r) : r.toPrecision(4);
  };
  const lines = [
    `Per-person monthly total: every release of a calendar month (analyses, utility, DAU, MAU) composes into one guarantee, capped at ε = ${policy.epsilonCap}, δ = ${policy.deltaCap} (budget.total_monthly_epsilon_cap / total_monthly_delta_cap; the best valid of naive, zCDP and hybrid composition). What a month spends of it:`,
  ];
  const scenarios = totalScenarios(config);
  scenarios.forEach((s, i) => {
    const c = composeCosts(policy, s.costs);
    const over = c.epsilon > policy.epsilonCap + 1e-9 || c.delta > policy.deltaCap * (1 + 1e-9);
    const verdict = !over ? 'fits' : i < 2 ? 'OVER the total cap' : 'over the total cap, which binds first';
    lines.push(`  ${s.label}: ε = ${fmt(c.epsilon)}, δ = ${c.delta} (${c.statement}) — ${verdict}`);
  });
  const analyses = composeCosts(policy, scenarios[0]!.costs);
  if (analyses.epsilon > policy.epsilonCap + 1e-9 || analyses.delta > policy.deltaCap * (1 + 1e-9)) {
    lines.push(
      'WARNING: the analyses alone exceed the per-person monthly total; runs will stop with exit 3 before releasing.',
    );
  }
  return lines;
}
