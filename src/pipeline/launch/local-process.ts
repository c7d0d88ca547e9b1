import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobLauncher, LaunchRequest, LaunchResult } from './launcher.js';
import { LaunchError } from './launcher.js';

/** The built CLI next to this module (`dist/src/cli/main.js`). */
const BUILT_CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export interface LocalProcessLauncherOptions {
  /** The command prefix to run (default: this Node with the built CLI); `run --claim <id>` is appended. */
  readonly command?: readonly string[];
  /** Environment of the child (default: this process's, so it sees the same storage). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Where the child's output goes. Default `stderr`: both its streams go to this process's
   * stderr, so a terminal sees the run summary and this process's stdout stays its own
   * (e.g. `dp-pipeline scan --json`).
   */
  readonly stdio?: 'stderr' | 'ignore';
  /**
   * The local lake directory the scan used (`scan --lake DIR`), passed on as `--lake DIR` so the
   * job works on the same lake. Without it the job uses its default (`./lake`, or the storage the
   * environment names).
   */
  readonly lakeDir?: string;
}

/**
 * The embedded default launcher: runs `dp-pipeline run --claim <id> [--lake DIR]` as a child process with
 * the same environment and waits for it, so `dp-pipeline scan` on a laptop processes the
 * blobs before it returns. A non-zero exit is a failed launch: the scan releases the claim.
 */
export class LocalProcessLauncher implements JobLauncher {
  readonly kind = 'local';

  constructor(private readonly options: LocalProcessLauncherOptions = {}) {}

  async start(request: LaunchRequest): Promise<LaunchResult> {
    const [cmd, ...prefix] = this.options.command ?? [process.execPath, BUILT_CLI];
    const lake = this.options.lakeDir === undefined ? [] : ['--lake', resolve(this.options.lakeDir)];
    const args = [...prefix, 'run', '--claim', request.claimId, ...lake];
    const child = spawn(cmd!, args, {
      env: this.options.env ?? process.env,
      stdio: this.options.stdio === 'ignore' ? 'ignore' : ['ignore', 2, 2],
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(new LaunchError(`could not start '${cmd}': ${err.message}`)));
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    if (code !== 0) {
      throw new LaunchError(
        `local job 'dp-pipeline run --claim ${request.claimId}' exited with code ${code}`,
      );
    }
    return { execution: `local-${child.pid}` };
  }
}
