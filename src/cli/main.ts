#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerExplain } from './commands/explain.js';
import { registerGenerate } from './commands/generate.js';
import { registerIngest } from './commands/ingest.js';
import { registerErase } from './commands/erase.js';
import { registerFlushDeletes } from './commands/flush-deletes.js';
import { registerRotateKey } from './commands/rotate-key.js';
import { registerRebuildActivity } from './commands/rebuild-activity.js';
import { registerRun } from './commands/run.js';
import { EXIT, exitCodeFor } from './exit.js';

/** Each command lives in `commands/<name>.ts` and registers itself here: one line per command. */
function program(): Command {
  const cli = new Command('dp-pipeline')
    .description('Differentially private web analytics: Bronze → Silver Parquet → DP Gold')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRun(cli);
  registerGenerate(cli);
  registerExplain(cli);
  registerIngest(cli);
  registerErase(cli);
  registerFlushDeletes(cli);
  registerRotateKey(cli);
  registerRebuildActivity(cli);
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
    const { code, message } = exitCodeFor(err);
    process.stderr.write(message + '\n');
    return code;
  }
}

process.exitCode = await main(process.argv);
