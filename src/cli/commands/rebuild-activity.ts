import type { Command } from 'commander';
import { rebuildActivity } from '../../activity/index.js';
import { openLake } from '../lake.js';
import { lakeOption } from '../options.js';

export function registerRebuildActivity(cli: Command): void {
  cli
    .command('rebuild-activity')
    .description(
      'rebuild the private activity ledger from Silver (e.g. for a lake processed before the ledger existed)',
    )
    .addOption(lakeOption())
    .action(async (opts: { lake: string }) => {
      const r = await rebuildActivity(openLake(opts));
      process.stdout.write(
        `activity ledger rebuilt from ${r.silverFiles} Silver files (${r.ledgerFiles} ledger files, ${r.removed} stale removed)\n`,
      );
    });
}
