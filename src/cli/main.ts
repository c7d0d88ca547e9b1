#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { explainConfig } from '../analyses/explain.js';
import { loadConfig } from '../config/index.js';
import { UserError } from '../errors.js';
import { generate } from '../generate/index.js';
import { createLogger } from '../log.js';
import { runPipeline } from '../pipeline/run.js';
import { FsLake } from '../storage/index.js';
import { EXIT, exitCodeFor } from './exit.js';
import { terminalProgress } from './progress.js';
import { copySample } from './sample.js';
import { printRunSummary } from './summary.js';

const positiveInt =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    }
    return n;
  };

const isoDate = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got '${value}'`);
  }
  return value;
};

function program(): Command {
  const cli = new Command('dp-pipeline')
    .description('Differentially private web analytics: Bronze → Silver Parquet → DP Gold')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const lakeOption = () => new Option('--lake <dir>', 'local lake directory').default('./lake');
  const configOption = () =>
    new Option('--config <file>', 'analyses config (JSON); default: the built-in config');

  cli
    .command('run')
    .description('process new Bronze blobs into Silver, then release every closed window to Gold')
    .addOption(lakeOption())
    .addOption(configOption())
    .option('--with-sample', 'first copy the shipped GA360 sample (2016-08) into <lake>/bronze/ga360/')
    .option('--json', 'print the run report as JSON instead of a summary')
    .action(async (opts: { lake: string; config?: string; withSample?: boolean; json?: boolean }) => {
      const config = await loadConfig(opts.config);
      const lake = new FsLake(opts.lake);
      if (opts.withSample) await copySample(lake);
      const progress = terminalProgress();
      const result = await runPipeline({ lake, config, log: createLogger(), progress: progress.update });
      progress.clear();
      if (opts.json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
      else printRunSummary(result, lake);
      if (result.budgetError) throw result.budgetError;
    });

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
    .action(
      async (opts: {
        out: string;
        days: number;
        users: number;
        seed: string;
        startDate: string;
        sessionsPerUserPerMonth: number;
      }) => {
        const progress = terminalProgress();
        const result = await generate({
          out: opts.out,
          days: opts.days,
          users: opts.users,
          seed: opts.seed,
          startDate: opts.startDate,
          sessionsPerUserPerMonth: opts.sessionsPerUserPerMonth,
          onProgress: (done, total) => progress.update('generating sessions', done, total),
        });
        progress.clear();
        process.stdout.write(
          `wrote ${result.sessions.toLocaleString('en-US')} sessions in ${result.files.length} files under ${opts.out}/bronze; truth: ${result.truthFile}\n`,
        );
      },
    );

  cli
    .command('explain')
    .description('print the plan: analyses, contribution bounds, noise, accuracy and ε per release')
    .addOption(configOption())
    .action(async (opts: { config?: string }) => {
      const config = await loadConfig(opts.config);
      process.stdout.write(explainConfig(config, opts.config ?? 'built-in config') + '\n');
    });
  return cli;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or help/version)
      return err.exitCode === 0 ? EXIT.ok : EXIT.user;
    }
    const { code, message } = exitCodeFor(err instanceof UserError ? err : err);
    process.stderr.write(message + '\n');
    return code;
  }
}

process.exitCode = await main(process.argv);
