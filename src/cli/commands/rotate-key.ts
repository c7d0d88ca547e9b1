import type { Command } from 'commander';
import { rotateKey } from '../../silver/key-ring.js';
import { openLake } from '../lake.js';
import { isoDate, lakeOption, leaseWaitOption, printLeaseWait } from '../options.js';

export function registerRotateKey(cli: Command): void {
  cli
    .command('rotate-key')
    .description('add a pseudonymization key version for Silver rows dated on or after --effective')
    .requiredOption('--effective <YYYY-MM-DD>', 'first Silver date pseudonymized with the new key', isoDate)
    .addOption(lakeOption())
    .addOption(leaseWaitOption())
    .action(async (opts: { effective: string; lake: string; wait?: number }) => {
      const { version, effective } = await rotateKey(openLake(opts), opts.effective, {
        leaseWaitMs: (opts.wait ?? 0) * 1000,
        onLeaseWait: printLeaseWait,
      });
      process.stdout.write(`key ${version} added: Silver rows dated ${effective} or later use it\n`);
    });
}
