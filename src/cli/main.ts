#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerEvaluate } from './commands/evaluate.js';
import { registerExplain } from './commands/explain.js';
import { registerGenerate } from './commands/generate.js';
import { registerIngest } from './commands/ingest.js';
import { registerErase } from './commands/erase.js';
import { registerFlushDeletes } from './commands/flush-deletes.js';
import { registerRotateKey } from './commands/rotate-key.js';
import { registerRebuildActivity } from './commands/rebuild-activity.js';
import { registerRun } from './commands/run.js';
import { registerScan } from './commands/scan.js';
import { registerDau } from './commands/dau.js';
import { registerMau } from './commands/mau.js';
import { registerBudget } from './commands/budget.js';
import { registerResetBudget } from './commands/reset-budget.js';
import { registerServe } from './commands/serve.js';
import { removeScratchOnSignals } from '../lake/leftovers.js';
import { EXIT, exitCodeFor } from './exit.js';
import { productVersion } from '../version.js';

/** Each command lives in `commands/<name>.ts` and registers itself here: one line per command. */
function program(): Command {
  const cli = new Command('dp-pipeline')
    .description('Differentially private web analytics: Bronze → Silver Parquet → DP Gold')
    .version(productVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRun(cli);
  registerGenerate(cli);
  registerExplain(cli);
  registerEvaluate(cli);
  registerScan(cli);
  registerIngest(cli);
  registerErase(cli);
  registerFlushDeletes(cli);
  registerRotateKey(cli);
  registerDau(cli);
  registerMau(cli);
  registerBudget(cli);
  registerResetBudget(cli);
  registerServe(cli);
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

// A reader that closes early (`dp-pipeline explain | head`) is not an error: stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});
removeScratchOnSignals();
process.exitCode = await main(process.argv);
