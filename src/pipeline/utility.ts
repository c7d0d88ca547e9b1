import { join } from 'node:path';
import { AUTO_PLACEHOLDER_HI, monthWindow, monthsOf, planAll } from '../analyses/index.js';
import { suggestBounds, type UtilitySuggestion } from '../analyses/utility.js';
import type { PipelineConfig } from '../config/index.js';
import { secureRandom, type RandomSource } from '../dp/index.js';
import { UserError } from '../errors.js';
import { PrivacyLedger, pureCost } from '../ledger/index.js';
import type { Lake } from '../storage/index.js';
import { openRunContext } from './context.js';
import { CommittedView, dateOfSilverKey } from '../lake/index.js';
import { readSilver } from '../silver/silver-source.js';

/** Budget ledger metric that utility analyses are charged to. */
export const UTILITY_METRIC = 'utility' as const;

export interface UtilityOptions {
  readonly lake: Lake;
  readonly config: PipelineConfig;
  /** The ε this utility analysis spends in total (split over the analyses). */
  readonly epsilon: number;
  /** `YYYY-MM`; default: the latest month with Silver data. */
  readonly month?: string;
  readonly rng?: RandomSource;
}

/**
 * Suggests contribution bounds for every analysis from DP histograms of Silver (see
 * `suggestBounds`). The declared ε is charged first to the ledger metric `utility` of the month
 * read, under the config's monthly caps; over the cap nothing is computed (exit 3). Each call
 * draws fresh noise, so each call is charged.
 */
export async function utilityAnalysis(options: UtilityOptions): Promise<UtilitySuggestion[]> {
  const { ctx, close } = await openRunContext({
    lake: options.lake,
    config: options.config,
    purpose: 'utility',
  });
  const { runId, tmpDir: tmp, engine } = ctx;
  try {
    const keys = await (await CommittedView.open(ctx.lake)).files('silver');
    const months = monthsOf(keys.flatMap((k) => dateOfSilverKey(k) ?? []));
    if (months.length === 0)
      throw new UserError('explain --utility: the lake has no Silver data yet; run `dp-pipeline run` first');
    const month = options.month ?? months[months.length - 1]!;
    if (!months.includes(month)) {
      throw new UserError(
        `explain --utility: no Silver data for month ${month}; months with data: ${months.join(', ')}`,
      );
    }
    // Silver is checked before the charge: a lake that cannot be read per person spends nothing.
    const silver = await readSilver(
      options.lake,
      engine,
      keys.filter((k) => (dateOfSilverKey(k) ?? '').startsWith(`${month}-`)),
      join(tmp, 'silver'),
    );
    const ledger = new PrivacyLedger(options.lake.tables('budget'), options.config);
    await ledger.charge({
      metric: UTILITY_METRIC,
      releaseId: `utility/${month}/${runId}`,
      periods: [month],
      cost: pureCost(options.epsilon),
    });
    const plans = planAll(options.config);
    const rng = options.rng ?? secureRandom();
    const out: UtilitySuggestion[] = [];
    for (const plan of plans) {
      out.push(
        await suggestBounds(engine, plan, silver, monthWindow(month), options.epsilon / plans.length, rng),
      );
    }
    return out;
  } finally {
    await close();
  }
}

/** The suggestions as text for `explain --utility`. */
export function formatUtility(s: readonly UtilitySuggestion[], config: PipelineConfig): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const lines = [
    '',
    `Utility analysis of ${s[0]?.window ?? '-'} (DP histograms of users' contributions, ε = ${s.reduce((a, x) => a + x.epsilon, 0)} charged to budget metric "${UTILITY_METRIC}"):`,
  ];
  for (const x of s) {
    const a = config.analyses.find((c) => c.name === x.analysis)!;
    lines.push(`  ${x.analysis} (ε = ${x.epsilon.toPrecision(3)}):`);
    lines.push(
      `    L0   configured ${a.max_partitions_contributed}, keeps all partitions of ≈${pct(x.configuredCoverage.l0)} of users; suggested ${x.maxPartitionsContributed} (covers ≥ 95%)`,
    );
    lines.push(
      `    Linf configured ${a.max_contributions_per_partition}, keeps all rows of ≈${pct(x.configuredCoverage.linf)} of users; suggested ${x.maxContributionsPerPartition} (covers ≥ 95%)`,
    );
    if (x.valueUpper !== undefined && a.bounds) {
      const upper = a.bounds === 'auto' ? 'auto (placeholder' : `${a.bounds[1]} ${a.unit}`;
      lines.push(
        `    ${a.value} upper bound configured ${upper}${a.bounds === 'auto' ? ` ${AUTO_PLACEHOLDER_HI})` : ''}, ≈${pct(x.configuredCoverage.value ?? 0)} of users' values below it; suggested ${x.valueUpper} (covers ≥ 95%)`,
      );
    }
  }
  lines.push(
    '  Larger bounds keep more data but add proportionally more noise: compare with the predicted errors above.',
  );
  return lines.join('\n');
}
