import type { Command } from 'commander';
import { explainConfig } from '../../analyses/explain.js';
import { loadConfig } from '../../config/index.js';
import { configOption } from '../options.js';

export function registerExplain(cli: Command): void {
  cli
    .command('explain')
    .description('print the plan: analyses, contribution bounds, noise, accuracy and ε per release')
    .addOption(configOption())
    .action(async (opts: { config?: string }) => {
      const config = await loadConfig(opts.config);
      process.stdout.write(explainConfig(config, opts.config ?? 'built-in config') + '\n');
    });
}
