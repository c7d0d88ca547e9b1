import type { Command } from 'commander';
import { parseMetric } from '../../active-users/index.js';
import { budgetBody } from '../../http/active-users-routes.js';
import { budgetLine, openActiveUsers } from '../active-users.js';
import { configOption, lakeOption } from '../options.js';

export function registerBudget(cli: Command): void {
  cli
    .command('budget')
    .description('privacy budget of a metric (dau, mau) in a calendar month: cap, spent, remaining')
    .requiredOption('--metric <metric>', 'dau or mau')
    .option('--month <YYYY-MM>', 'calendar month (default: the current one)')
    .addOption(lakeOption())
    .addOption(configOption())
    .option('--json', 'print the budget as JSON (the shape of GET /budget/{metric})')
    .action(
      async (opts: { metric: string; month?: string; lake: string; config?: string; json?: boolean }) => {
        const metric = parseMetric(opts.metric);
        const { users, close } = await openActiveUsers(opts);
        try {
          const s = await users.budgetState(metric, opts.month ?? new Date().toISOString().slice(0, 7));
          process.stdout.write(
            opts.json ? JSON.stringify(budgetBody(s), null, 2) + '\n' : budgetLine(s) + '\n',
          );
        } finally {
          close();
        }
      },
    );
}
