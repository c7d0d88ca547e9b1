import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { ingestEvents, parseEventsFile } from '../../pipeline/events.js';
import { openLake } from '../lake.js';
import { lakeOption } from '../options.js';

export function registerIngest(cli: Command): void {
  cli
    .command('ingest')
    .description(
      'write activity events (JSONL or CSV of user_id, timestamp) to Bronze; the next run processes them',
    )
    .requiredOption('--from <file>', 'events file: JSONL objects, or CSV with a user_id,timestamp header')
    .addOption(lakeOption())
    .action(async (opts: { from: string; lake: string }) => {
      const text = await readFile(opts.from, 'utf8').catch((err: unknown) => {
        throw new UserError(
          `--from ${opts.from}: cannot read the file (${(err as Error).message.split('\n')[0]})`,
        );
      });
      const name = basename(opts.from);
      const { events, lines } = parseEventsFile(name, text);
      const lake = openLake(opts);
      const { key, ingested } = await ingestEvents(lake, events, {
        describe: (i) => `${name} line ${lines[i]}`,
      });
      process.stdout.write(
        `ingested ${ingested} events into bronze/${key}; run \`dp-pipeline run\` to process them\n`,
      );
    });
}
