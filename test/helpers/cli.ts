import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const CLI = resolve('dist/src/cli/main.js');

/**
 * Runs the built CLI as a user would; needs `npm run build` first (the test script does it).
 * `cwd` matters where the CLI starts itself (the local job launcher runs `run` on `./lake`).
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string } = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    ...options,
    encoding: 'utf8',
    env: { ...process.env, DP_LOG_LEVEL: 'warn', ...env },
    timeout: 10 * 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
