import type { Command } from 'commander';
import { requestErasure } from '../../erasure/index.js';
import { openLake } from '../lake.js';
import { lakeOption } from '../options.js';

export function registerErase(cli: Command): void {
  cli
    .command('erase')
    .description(
      'request erasure of a user (stored as pseudonyms only); flush-deletes or the next run removes their data',
    )
    .requiredOption('--user <id>', 'the raw user id (fullVisitorId or user_id)')
    .addOption(lakeOption())
    .action(async (opts: { user: string; lake: string }) => {
      const { status } = await requestErasure(openLake(opts), opts.user, { source: 'cli' });
      const said = {
        pending:
          'erasure requested: excluded from counts now; run `dp-pipeline flush-deletes` (or the next run) to delete the data',
        already_pending:
          'erasure already requested and pending: run `dp-pipeline flush-deletes` to delete the data',
        already_erased: 'this user was already erased',
      }[status];
      process.stdout.write(`${said}\n`);
    });
}
