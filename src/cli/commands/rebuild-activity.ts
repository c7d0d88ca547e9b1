import type { Command } from 'commander';
import { rebuildActivity } from '../../activity/index.js';
import { openLake } from '../lake.js';
import { lakeOption, leaseWaitOption, printLeaseWait } from '../options.js';

export function registerRebuildActivity(cli: Command): void {
  cli
    .command('rebuild-activity')
    .description(
      'rebuild the private activity ledger from Silver (e.g. for a lake processed before the ledger existed)',
    )
    .addOption(lakeOption())
    .addOption(leaseWaitOption())
    .action(async (opts: { lake: string; wait?: number }) => {
      const r = await rebuildActivity(openLake(opts), {
        leaseWaitMs: (opts.wait ?? 0) * 1000,
        onLeaseWait: printLeaseWait,
      });
      process.stdout.write(
        `activity ledger rebuilt from ${r.silverFiles} Silver files (${r.ledgerFiles} ledger files, ${r.removed} stale removed)\n`,
      );
    });
}
