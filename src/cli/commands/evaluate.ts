import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { evaluate, LARGEST_PARTITIONS, percent } from '../../evaluate/index.js';
import { createLogger } from '../../log.js';
import { openLake } from '../lake.js';
import { configOption, lakeOption, positiveInt } from '../options.js';
import { terminalProgress } from '../progress.js';

const MAX_RUNS = 10_000;

const yearMonth = (value: string): string => {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) {
    throw new InvalidArgumentError(`expected a month YYYY-MM, got '${value}'`);
  }
  return value;
};

const runsOption = (value: string): number => {
  const n = positiveInt('--runs')(value);
  if (n > MAX_RUNS) throw new InvalidArgumentError(`--runs must be at most ${MAX_RUNS}, got ${n}`);
  return n;
};

export function registerEvaluate(cli: Command): void {
  cli
    .command('evaluate')
    .description(
      'SIMULATION — not a release: rerun the analyses N times on Silver (nothing written to Gold, no budget spent) and compare with the raw values in private/evaluation/',
    )
    .addOption(lakeOption())
    .addOption(configOption())
    .option('--runs <n>', 'simulated releases per analysis and window', runsOption, 20)
    .option('--window <YYYY-MM>', 'only this month (default: every month with Silver data)', yearMonth)
    .action(async (opts: { lake: string; config?: string; runs: number; window?: string }) => {
      const config = await loadConfig(opts.config);
      const lake = openLake(opts);
      const progress = terminalProgress();
      const { evaluation, htmlKey, jsonKey } = await evaluate({
        lake,
        config,
        runs: opts.runs,
        ...(opts.window !== undefined ? { window: opts.window } : {}),
        log: createLogger(),
        progress: progress.update,
      });
      progress.clear();
      const pct = percent;
      const lines = [
        `dp-pipeline evaluate: ${evaluation.label} (${evaluation.runs} runs per analysis and window; nothing published, no budget spent)`,
        ...evaluation.analyses.map(
          (a) =>
            `  ${a.analysis} ${a.window.id}: median relative error ${pct(a.summary.median_relative_error)}${a.summary.partitions > LARGEST_PARTITIONS ? ` (${LARGEST_PARTITIONS} largest: ${pct(a.summary.median_relative_error_largest)})` : ''} (bias ${pct(a.summary.median_relative_bias)}, noise ${pct(a.summary.median_relative_noise)}), interval coverage ${pct(a.summary.coverage)}; bounds ${a.bounds_chosen.map(boundsText).join(', ')}`,
        ),
        `Outputs (private, contain raw values):`,
        `  ${lake.locate('private')}/${htmlKey}`,
        `  ${lake.locate('private')}/${jsonKey}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}

/** `L0=1 Linf=8 [0, 4194303] ×17`: bounds and how many runs used them. */
function boundsText(b: {
  readonly max_partitions_contributed: number;
  readonly max_contributions_per_partition: number;
  readonly bounds?: readonly [number, number];
  readonly runs: number;
}): string {
  const clamp = b.bounds ? ` [${b.bounds[0]}, ${b.bounds[1]}]` : '';
  return `L0=${b.max_partitions_contributed} Linf=${b.max_contributions_per_partition}${clamp} ×${b.runs}`;
}
