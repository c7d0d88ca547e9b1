import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { UserError } from '../../errors.js';
import { PrivacyLedger, parseLedgerMetric } from '../../ledger/index.js';
import { createLogger } from '../../log.js';
import { metricLine } from '../budget-lines.js';
import { openLake } from '../lake.js';
import { configOption, lakeOption } from '../options.js';

export function registerResetBudget(cli: Command): void {
  cli
    .command('reset-budget')
    .description(
      "operators only: forget what a metric spent in a month, so new releases can spend again (weakens the month's guarantee; logged)",
    )
    .requiredOption('--metric <metric>', 'dau, mau, analyses or utility')
    .requiredOption('--month <YYYY-MM>', 'calendar month')
    .option('--force', 'required: confirms you mean to reset the budget')
    .addOption(lakeOption())
    .addOption(configOption())
    .action(
      async (opts: { metric: string; month: string; force?: boolean; lake: string; config?: string }) => {
        const metric = parseLedgerMetric(opts.metric);
        if (!opts.force) {
          throw new UserError(
            `refusing to reset the ${metric} budget of ${opts.month} without --force: releases after a reset add to what was already published`,
          );
        }
        const ledger = new PrivacyLedger(openLake(opts).tables('budget'), await loadConfig(opts.config));
        const before = await ledger.state(opts.month);
        await ledger.reset(opts.month, metric);
        const was = before.metrics[metric];
        // An audit trail on stderr at warn (shown at the default level): what was forgotten, never data.
        createLogger().warn(
          {
            event: 'budget_reset',
            metric,
            period: opts.month,
            epsilon_spent_before: was.epsilonSpent,
            releases_before: was.releaseCount,
            total_epsilon_spent_before: before.total.epsilonSpent,
            operator: process.env.USER ?? 'unknown',
          },
          'privacy budget reset by operator',
        );
        process.stdout.write(`reset; was ${metricLine(was)}\n`);
      },
    );
}
