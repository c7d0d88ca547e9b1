import type { Command } from 'commander';
import { SESSIONS_PREFIX, dateOfSilverKey } from '../../lake/index.js';
import { rotateKey } from '../../silver/key-ring.js';
import { openLake } from '../lake.js';
import { isoDate, lakeOption } from '../options.js';

export function registerRotateKey(cli: Command): void {
  cli
    .command('rotate-key')
    .description('add a pseudonymization key version for Silver rows dated on or after --effective')
    .requiredOption('--effective <YYYY-MM-DD>', 'first Silver date pseudonymized with the new key', isoDate)
    .addOption(lakeOption())
    .action(async (opts: { effective: string; lake: string }) => {
      const lake = openLake(opts);
      let latest: string | undefined;
      for await (const obj of lake.objects('silver').list(SESSIONS_PREFIX)) {
        const d = dateOfSilverKey(obj.key);
        if (d !== undefined && (latest === undefined || d > latest)) latest = d;
      }
      const { version, effective } = await rotateKey(lake, opts.effective, { latestSilverDate: latest });
      process.stdout.write(`key ${version} added: Silver rows dated ${effective} or later use it\n`);
    });
}
