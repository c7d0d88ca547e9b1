import type { Command } from 'commander';
import { flushDeletes } from '../../erasure/index.js';
import { createLogger } from '../../log.js';
import { openLake } from '../lake.js';
import { lakeOption, leaseWaitOption, printLeaseWait } from '../options.js';

export function registerFlushDeletes(cli: Command): void {
  cli
    .command('flush-deletes')
    .description(
      'process pending erasure requests: remove the users from Bronze, Silver, quarantine and the activity ledger',
    )
    .addOption(lakeOption())
    .option('--json', 'print the counts as JSON')
    .addOption(leaseWaitOption())
    .action(async (opts: { lake: string; json?: boolean; wait?: number }) => {
      const r = await flushDeletes(openLake(opts), {
        log: createLogger(),
        leaseWaitMs: (opts.wait ?? 0) * 1000,
        onLeaseWait: printLeaseWait,
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      } else {
        process.stdout.write(
          [
            `erasures processed ${r.erasures_processed} (${r.requests_from_files} new from bronze/erasures/)`,
            `  bronze   ${r.bronze_records_removed} records removed, ${r.bronze_blobs_rewritten} blobs rewritten`,
            `  silver   ${r.silver_rows_removed} rows removed, ${r.silver_files_rewritten} files rewritten`,
            `  activity ${r.activity_rows_removed} rows removed`,
            `  quarantine ${r.quarantine_lines_removed} lines removed`,
            ...r.rejected_files.map((f) => `  REJECTED ${f.key}: ${f.reason}`),
          ].join('\n') + '\n',
        );
      }
      if (r.rejected_files.length > 0) process.exitCode = 1;
    });
}
