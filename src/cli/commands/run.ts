import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { boundingEngineFromEnv } from '../../engine/databricks.js';
import { LeaseHeldError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { checkBoundingLake, runPipeline } from '../../pipeline/run.js';
import { checkClaim, releaseClaim } from '../../pipeline/scan/index.js';
import { openLake } from '../lake.js';
import { configOption, lakeOption, leaseWaitOption, printLeaseWait } from '../options.js';
import { terminalProgress } from '../progress.js';
import { copySample } from '../sample.js';
import { printRunSummary } from '../summary.js';

/** How long a job started by a scan waits for a run in progress before giving up (seconds). */
const CLAIM_WAIT_S = 900;

interface RunFlags {
  readonly lake: string;
  readonly config?: string;
  readonly withSample?: boolean;
  readonly json?: boolean;
  readonly claim?: string;
  readonly wait?: number;
}

export function registerRun(cli: Command): void {
  cli
    .command('run')
    .description('process new Bronze blobs into Silver, then release every closed window to Gold')
    .addOption(lakeOption())
    .addOption(configOption())
    .option('--with-sample', 'first copy the shipped GA360 sample (2016-08) into <lake>/bronze/ga360/')
    .option('--json', 'print the run report as JSON instead of a summary')
    .option('--claim <id>', 'scan claim this run executes (set by the launcher); released at the end')
    .addOption(leaseWaitOption())
    .addHelpText(
      'after',
      `\nWith --claim (a job a scan started), --wait defaults to ${CLAIM_WAIT_S} s: the job waits for a run in progress.`,
    )
    .action(async (opts: RunFlags) => {
      const config = await loadConfig(opts.config);
      const bounding = boundingEngineFromEnv();
      const lake = openLake(opts);
      checkBoundingLake(lake, bounding);
      const claim = await checkClaim(lake, opts.claim);
      if (opts.withSample) await copySample(lake);
      const progress = terminalProgress();
      const waitS = opts.wait ?? (claim ? CLAIM_WAIT_S : 0);
      let result;
      try {
        result = await runPipeline({
          lake,
          config,
          log: createLogger(),
          progress: progress.update,
          leaseWaitMs: waitS * 1000,
          onLeaseWait: printLeaseWait,
          bounding,
        });
      } catch (err) {
        // The lake is busy: free the claim, so the next scan starts a job for these blobs.
        if (claim && err instanceof LeaseHeldError) await releaseClaim(lake, claim, 'lake in use');
        throw err;
      } finally {
        progress.clear();
      }
      if (claim) await releaseClaim(lake, claim, 'run finished');
      if (opts.json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
      else printRunSummary(result, lake);
      if (result.budgetError) throw result.budgetError;
    });
}
