import type { Command } from 'commander';
import { activeBudgetState } from '../../active-users/index.js';
import { loadConfig } from '../../config/index.js';
import { budgetBody } from '../../http/active-users-routes.js';
import { PrivacyLedger, parseLedgerMetric, type LedgerMetric } from '../../ledger/index.js';
import { budgetLine } from '../active-users.js';
import { metricLine, monthBody, stateBody, totalLine } from '../budget-lines.js';
import { openLake } from '../lake.js';
import { configOption, lakeOption } from '../options.js';

export function registerBudget(cli: Command): void {
  cli
    .command('budget')
    .description(
      "privacy budget of a calendar month: the per-person total over every metric, and each metric's cap, spent and remaining",
    )
    .option('--metric <metric>', 'dau, mau, analyses or utility (default: every metric)')
    .option('--month <YYYY-MM>', 'calendar month (default: the current one)')
    .addOption(lakeOption())
    .addOption(configOption())
    .option('--json', 'print the budget as JSON (with --metric dau|mau: the shape of GET /budget/{metric})')
    .action(
      async (opts: { metric?: string; month?: string; lake: string; config?: string; json?: boolean }) => {
        const metric: LedgerMetric | undefined =
          opts.metric === undefined ? undefined : parseLedgerMetric(opts.metric);
        const config = await loadConfig(opts.config);
        const ledger = new PrivacyLedger(openLake(opts).tables('budget'), config);
        const month = await ledger.state(opts.month ?? new Date().toISOString().slice(0, 7));
        let out: string;
        if (metric === 'dau' || metric === 'mau') {
          const s = activeBudgetState(month, metric, config.active_users);
          out = opts.json
            ? JSON.stringify(budgetBody(s), null, 2)
            : `${budgetLine(s)}\n${totalLine(month.total)}`;
        } else if (metric !== undefined) {
          const s = month.metrics[metric];
          out = opts.json
            ? JSON.stringify(
                { ...stateBody(s), next_reset: month.nextReset, total: stateBody(month.total) },
                null,
                2,
              )
            : `${metricLine(s)}\n${totalLine(month.total)}`;
        } else {
          out = opts.json
            ? JSON.stringify(monthBody(month), null, 2)
            : [totalLine(month.total), ...Object.values(month.metrics).map(metricLine)].join('\n');
        }
        process.stdout.write(out + '\n');
      },
    );
}
