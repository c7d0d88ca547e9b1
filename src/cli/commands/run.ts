import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../log.js';
import { runPipeline } from '../../pipeline/run.js';
import { checkClaim, releaseClaim } from '../../pipeline/scan/index.js';
import { openLake } from '../lake.js';
import { configOption, lakeOption } from '../options.js';
import { terminalProgress } from '../progress.js';
import { copySample } from '../sample.js';
import { printRunSummary } from '../summary.js';

export function registerRun(cli: Command): void {
  cli
    .command('run')
    .description('process new Bronze blobs into Silver, then release every closed window to Gold')
    .addOption(lakeOption())
    .addOption(configOption())
    .option('--with-sample', 'first copy the shipped GA360 sample (2016-08) into <lake>/bronze/ga360/')
    .option('--json', 'print the run report as JSON instead of a summary')
    .option('--claim <id>', 'scan claim this run executes (set by the launcher); released at the end')
    .action(async (opts: { lake: string; config?: string; withSample?: boolean; json?: boolean }) => {
      const config = await loadConfig(opts.config);
      const lake = openLake(opts);
      const claim = await checkClaim(lake, (opts as { claim?: string }).claim);
      if (opts.withSample) await copySample(lake);
      const progress = terminalProgress();
      const result = await runPipeline({ lake, config, log: createLogger(), progress: progress.update });
      progress.clear();
      if (claim) await releaseClaim(lake, claim, 'run finished');
      if (opts.json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
      else printRunSummary(result, lake);
      if (result.budgetError) throw result.budgetError;
    });
}
