import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI } from './cli.js';

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly done: Promise<CliResult>;
}

/** Starts the built CLI as a separate process (needs `npm run build`); `done` resolves when it exits. */
export function startCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { readonly cwd?: string } = {},
): CliProcess {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, DP_LOG_LEVEL: 'warn', ...env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - t0) }),
    );
  });
  if (child.pid === undefined) throw new Error('could not start the CLI');
  return { child, pid: child.pid, done };
}

/** Runs the built CLI to its end. */
export function runCliAsync(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Resolves once process `pid` is stopped (SIGSTOP, e.g. by `DP_FAULT_CRASH_AT=<point>:stop`). */
export async function waitUntilStopped(
  pid: number,
  exited: Promise<unknown>,
  timeoutMs = 60_000,
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`process ${pid} exited before it stopped`);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(20);
  }
  throw new Error(`process ${pid} did not stop within ${timeoutMs} ms`);
}

/** A message ends in a stack trace when it has `    at …` lines. */
export function hasStackTrace(stderr: string): boolean {
  return /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m.test(stderr);
}
