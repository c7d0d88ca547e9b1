import { appendFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { Xoshiro128 } from '../../src/generate/prng.js';
import { hasStackTrace, runCliAsync, type CliResult } from '../helpers/cli-process.js';
import {
  copySampleDays,
  FIXED_KEY_ENV,
  lakeOutcome,
  leftovers,
  type LakeOutcome,
} from '../helpers/lake-state.js';
import type { ScenarioFigure } from './summary.js';

/** Three days of the shipped GA360 sample: 6,741 records, a run of a few seconds. */
export const DAYS = ['01', '02', '03'];

/** One trial's own lake and temp dir (the runs' scratch dirs land there, so leftovers are visible). */
export interface Trial {
  readonly dir: string;
  readonly lake: string;
  readonly tmp: string;
  readonly env: NodeJS.ProcessEnv;
}

export async function newTrial(root: string, name: string, template?: string): Promise<Trial> {
  const dir = join(root, name);
  const lake = join(dir, 'lake');
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  if (template) await cp(template, lake, { recursive: true });
  else await copySampleDays(lake, DAYS);
  return { dir, lake, tmp, env: { ...FIXED_KEY_ENV, TMPDIR: tmp } };
}

export function faultRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'dp-fault-'));
}

export async function cli(
  trial: Trial,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return runCliAsync(args, { ...trial.env, ...extraEnv });
}

/** Lines of stderr that are not structured log lines (pino writes JSON objects). */
function messages(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}

/** What is wrong with how a process ended: an unexpected exit code, a stack trace, a bad refusal line. */
export function exitProblems(label: string, r: CliResult, allowed: readonly number[]): string[] {
  const problems: string[] = [];
  if (r.code === null || !allowed.includes(r.code)) {
    problems.push(
      `${label}: exit ${r.code ?? r.signal}, expected ${allowed.join('|')}: ${r.stderr.slice(0, 400)}`,
    );
  }
  if (hasStackTrace(r.stderr)) problems.push(`${label}: stack trace on stderr: ${r.stderr.slice(0, 400)}`);
  if (r.code === 4) {
    const lines = messages(r.stderr);
    if (
      lines.length !== 1 ||
      !/^dp-pipeline: the lake .* is in use by \S+ \S+ \(pid \d+ on .+, since .+\); wait/.test(lines[0]!)
    ) {
      problems.push(`${label}: exit 4 without the one-line lease message: ${JSON.stringify(lines)}`);
    }
  }
  return problems;
}

function difference(a: readonly string[], b: readonly string[]): string {
  const sa = new Set(a);
  const sb = new Set(b);
  const missing = b.filter((x) => !sa.has(x)).length;
  const extra = a.filter((x) => !sb.has(x)).length;
  const duplicated = a.length - sa.size;
  return `${a.length} vs ${b.length} expected; ${missing} missing, ${extra} extra, ${duplicated} duplicated`;
}

/** How the trial's lake differs from the clean reference, and what it left behind. */
export async function outcomeProblems(trial: Trial, reference: LakeOutcome): Promise<string[]> {
  const got = await lakeOutcome(trial.lake);
  const problems: string[] = [];
  const lists = ['silver', 'activity', 'releases', 'releaseRows', 'charges'] as const;
  for (const k of lists) {
    if (got[k].length !== reference[k].length || got[k].some((x, i) => x !== reference[k][i])) {
      problems.push(`${k}: ${difference(got[k], reference[k])}`);
    }
  }
  if (got.checkpoints !== reference.checkpoints) {
    problems.push(`checkpoints: ${got.checkpoints} vs ${reference.checkpoints} expected`);
  }
  const left = await leftovers(trial.lake, trial.tmp);
  if (left.lakeFiles.length > 0) problems.push(`left in the lake: ${left.lakeFiles.join(', ')}`);
  if (left.scratchDirs.length > 0) problems.push(`scratch dirs left: ${left.scratchDirs.join(', ')}`);
  return problems;
}

/** A lake built by one clean run over `trial`'s Bronze: what every faulty trial must end up equal to. */
export async function cleanReference(trial: Trial): Promise<{ outcome: LakeOutcome; ms: number }> {
  const r = await cli(trial, ['run', '--lake', trial.lake]);
  if (r.code !== 0) throw new Error(`the clean reference run failed: ${r.stderr}`);
  return { outcome: await lakeOutcome(trial.lake), ms: r.ms };
}

/** `n` moments spread over [0, spanMs): one uniform draw in each of n equal strata (fixed seed). */
export function stratifiedMoments(seed: string, n: number, spanMs: number): number[] {
  const rng = Xoshiro128.fromSeed(seed);
  return Array.from({ length: n }, (_, i) => Math.round((spanMs * (i + rng.float())) / n));
}

/** Tallies trials; at the end, records the scenario's N/N figure for the suite summary. */
export class Scenario {
  private readonly failures: string[] = [];
  private trials = 0;
  private readonly t0 = performance.now();

  constructor(readonly name: string) {}

  record(trialName: string, problems: readonly string[]): void {
    this.trials++;
    if (problems.length > 0) this.failures.push(`${trialName}: ${problems.join('; ')}`);
  }

  async finish(note?: string): Promise<string[]> {
    const figure: ScenarioFigure = {
      scenario: this.name,
      passed: this.trials - this.failures.length,
      trials: this.trials,
      seconds: (performance.now() - this.t0) / 1000,
      ...(note ? { note } : {}),
    };
    await appendFile(inject('faultSummaryFile'), JSON.stringify(figure) + '\n');
    return this.failures;
  }
}

export const removeTrial = (trial: Trial): Promise<void> => rm(trial.dir, { recursive: true, force: true });
