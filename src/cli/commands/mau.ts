import { Option, type Command } from 'commander';
import { UserError } from '../../errors.js';
import { printActiveAnswer } from '../active-users.js';
import { configOption, isoDate, lakeOption, positiveInt } from '../options.js';

export function registerMau(cli: Command): void {
  cli
    .command('mau')
    .description(
      'distinct active users over a rolling window ending on a closed day (discrete Gaussian), or a month of them as one continual series',
    )
    .addOption(new Option('--end <YYYY-MM-DD>', 'last day of the window').argParser(isoDate))
    .addOption(
      new Option('--window <days>', 'window length in days (default from config: 30)').argParser(
        positiveInt('--window'),
      ),
    )
    .addOption(
      new Option('--month <YYYY-MM>', 'release every day of the month as one continual series instead'),
    )
    .addOption(lakeOption())
    .addOption(configOption())
    .option('--json', 'print the release JSON')
    .action(
      async (opts: {
        end?: string;
        window?: number;
        month?: string;
        lake: string;
        config?: string;
        json?: boolean;
      }) => {
        if ((opts.end === undefined) === (opts.month === undefined)) {
          throw new UserError('give exactly one of --end YYYY-MM-DD or --month YYYY-MM');
        }
        await printActiveAnswer(
          opts,
          (users) =>
            opts.end !== undefined
              ? users.mau(opts.end, opts.window)
              : users.series('mau', opts.month!, opts.window),
          (a) => {
            const window = a.release.privacy.window_days ?? opts.window;
            return opts.end !== undefined
              ? `MAU ${opts.end} (${window} days)`
              : `MAU series ${opts.month} (${window} days)`;
          },
        );
      },
    );
}
