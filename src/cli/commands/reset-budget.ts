import type { Command } from 'commander';
import { parseMetric } from '../../active-users/index.js';
import { UserError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { budgetLine, openActiveUsers } from '../active-users.js';
import { configOption, lakeOption } from '../options.js';

export function registerResetBudget(cli: Command): void {
  cli
    .command('reset-budget')
    .description(
      'operators only: forget what a metric spent in a month, so new releases can spend again (weakens the monthly guarantee; logged)',
    )
    .requiredOption('--metric <metric>', 'dau or mau')
    .requiredOption('--month <YYYY-MM>', 'calendar month')
    .option('--force', 'required: confirms you mean to reset the budget')
    .addOption(lakeOption())
    .addOption(configOption())
    .action(
      async (opts: { metric: string; month: string; force?: boolean; lake: string; config?: string }) => {
        const metric = parseMetric(opts.metric);
        if (!opts.force) {
          throw new UserError(
            `refusing to reset the ${metric} budget of ${opts.month} without --force: releases after a reset add to what was already published`,
          );
        }
        const { users, close } = await openActiveUsers(opts);
        try {
          const before = await users.budgetState(metric, opts.month);
          await users.budget.reset(metric, opts.month);
          // An audit trail on stderr at warn (shown at the default level): what was forgotten, never data.
          createLogger().warn(
            {
              event: 'budget_reset',
              metric,
              period: opts.month,
              epsilon_spent_before: before.epsilonSpent,
              releases_before: before.releaseCount,
              operator: process.env.USER ?? 'unknown',
            },
            'privacy budget reset by operator',
          );
          process.stdout.write(`reset; was ${budgetLine(before)}\n`);
        } finally {
          close();
        }
      },
    );
}
