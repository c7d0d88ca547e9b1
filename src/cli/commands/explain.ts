import { InvalidArgumentError, type Command } from 'commander';
import { explainConfig } from '../../analyses/explain.js';
import { loadConfig } from '../../config/index.js';
import { formatUtility, utilityAnalysis } from '../../pipeline/utility.js';
import { openLake } from '../lake.js';
import { totalBudgetLines } from '../total-budget.js';
import { configOption, lakeOption } from '../options.js';

const epsilonArg = (value: string): number => {
  const x = Number(value);
  if (!(x > 0 && x <= 1)) throw new InvalidArgumentError(`must be a number in (0, 1], got '${value}'`);
  return x;
};

const monthArg = (value: string): string => {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value))
    throw new InvalidArgumentError(`expected YYYY-MM, got '${value}'`);
  return value;
};

export function registerExplain(cli: Command): void {
  cli
    .command('explain')
    .description('print the plan: analyses, contribution bounds, noise, accuracy and ε per release')
    .addOption(configOption())
    .addOption(lakeOption())
    .option(
      '--utility',
      'also suggest bounds (L0, Linf, value clamp) from DP histograms of Silver (spends ε)',
    )
    .option(
      '--utility-epsilon <eps>',
      'ε the utility analysis spends, charged to budget metric "utility"',
      epsilonArg,
      0.1,
    )
    .option('--month <YYYY-MM>', 'month of Silver the utility analysis reads (default: the latest)', monthArg)
    .action(
      async (opts: {
        config?: string;
        lake: string;
        utility?: boolean;
        utilityEpsilon: number;
        month?: string;
      }) => {
        const config = await loadConfig(opts.config);
        process.stdout.write(explainConfig(config, opts.config ?? 'built-in config') + '\n');
        process.stdout.write(totalBudgetLines(config).join('\n') + '\n');
        if (opts.utility) {
          const suggestions = await utilityAnalysis({
            lake: openLake(opts),
            config,
            epsilon: opts.utilityEpsilon,
            ...(opts.month ? { month: opts.month } : {}),
          });
          process.stdout.write(formatUtility(suggestions, config) + '\n');
        }
      },
    );
}
