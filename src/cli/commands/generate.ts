import type { Command } from 'commander';
import { generate } from '../../generate/index.js';
import { isoDate, positiveInt } from '../options.js';
import { terminalProgress } from '../progress.js';

export function registerGenerate(cli: Command): void {
  cli
    .command('generate')
    .description('write synthetic GA360-shaped Bronze data whose true answers are known (truth.json)')
    .requiredOption('--out <dir>', 'output directory (Bronze goes to <dir>/bronze/synthetic/…)')
    .requiredOption('--days <n>', 'number of days', positiveInt('--days'))
    .requiredOption('--users <n>', 'number of users', positiveInt('--users'))
    .requiredOption('--seed <s>', 'seed: the same seed writes the same bytes')
    .option('--start-date <date>', 'first day (YYYY-MM-DD)', isoDate, '2016-08-01')
    .option(
      '--sessions-per-user-per-month <n>',
      'sessions per user per month',
      positiveInt('--sessions-per-user-per-month'),
      1,
    )
    .option(
      '--full-schema',
      "write each session's hits array as a GA360 BigQuery export does (~2.4 KB per hit; 500 hits ≈ 1.2 MB a line)",
      false,
    )
    .option(
      '--hits-per-session <n>',
      'with --full-schema: every session has exactly n hits (e.g. 3000 for ~8 MB lines)',
      positiveInt('--hits-per-session'),
    )
    .action(
      async (opts: {
        out: string;
        days: number;
        users: number;
        seed: string;
        startDate: string;
        sessionsPerUserPerMonth: number;
        fullSchema: boolean;
        hitsPerSession?: number;
      }) => {
        const progress = terminalProgress();
        const result = await generate({
          out: opts.out,
          days: opts.days,
          users: opts.users,
          seed: opts.seed,
          startDate: opts.startDate,
          sessionsPerUserPerMonth: opts.sessionsPerUserPerMonth,
          fullSchema: opts.fullSchema,
          hitsPerSession: opts.hitsPerSession,
          onProgress: (done, total) => progress.update('generating sessions', done, total),
        });
        progress.clear();
        process.stdout.write(
          `wrote ${result.sessions.toLocaleString('en-US')} sessions in ${result.files.length} files under ${opts.out}/bronze; truth: ${result.truthFile}\n`,
        );
      },
    );
}
