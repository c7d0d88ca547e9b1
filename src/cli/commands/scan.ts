import type { Command } from 'commander';
import { createLogger } from '../../log.js';
import { launcherFromEnv } from '../../pipeline/launch/index.js';
import { scan, type ScanResult } from '../../pipeline/scan/index.js';
import { openLake } from '../lake.js';
import { lakeOption } from '../options.js';

export function registerScan(cli: Command): void {
  cli
    .command('scan')
    .description(
      'start ONE job run if Bronze holds blobs no run has processed (what the timer Function does); ' +
        'the launcher comes from DP_LAUNCHER (local: runs `dp-pipeline run` here and waits)',
    )
    .addOption(lakeOption())
    .option('--json', 'print the scan result as JSON')
    .action(async (opts: { lake: string; json?: boolean }) => {
      const lake = openLake(opts);
      const launcher = launcherFromEnv(process.env, { lakeDir: opts.lake });
      const result = await scan({ lake, launcher, log: createLogger() });
      process.stdout.write(opts.json ? JSON.stringify(result) + '\n' : describe(result) + '\n');
    });
}

function describe(r: ScanResult): string {
  if (r.started) return `scan: ${r.pending} pending blob(s); started job ${r.execution} (claim ${r.claimId})`;
  if (r.reason === 'idle') return 'scan: nothing pending; no job started';
  if (r.reason === 'busy')
    return `scan: ${r.pending} pending blob(s), but job claim ${r.claimId} is still running; no job started`;
  return `scan: ${r.pending} pending blob(s), another scan started the job; no job started`;
}
