import { Option, type Command } from 'commander';
import { printActiveAnswer } from '../active-users.js';
import { configOption, isoDate, lakeOption } from '../options.js';
import { UserError } from '../../errors.js';

export function registerDau(cli: Command): void {
  cli
    .command('dau')
    .description(
      'daily active users of a closed day (discrete Laplace), or a month as one continual-release series',
    )
    .addOption(new Option('--day <YYYY-MM-DD>', 'the day').argParser(isoDate))
    .addOption(new Option('--month <YYYY-MM>', 'release the whole month as one continual series instead'))
    .addOption(lakeOption())
    .addOption(configOption())
    .option('--json', 'print the release JSON')
    .action(async (opts: { day?: string; month?: string; lake: string; config?: string; json?: boolean }) => {
      if ((opts.day === undefined) === (opts.month === undefined)) {
        throw new UserError('give exactly one of --day YYYY-MM-DD or --month YYYY-MM');
      }
      await printActiveAnswer(
        opts,
        (users) => (opts.day !== undefined ? users.dau(opts.day) : users.series('dau', opts.month!)),
        () => (opts.day !== undefined ? `DAU ${opts.day}` : `DAU series ${opts.month}`),
      );
    });
}
