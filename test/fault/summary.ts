import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON-lines file each fault scenario appends its N/N figure to. */
    faultSummaryFile: string;
  }
}

/** One line per scenario: how many trials ended with the lake exactly as a clean run leaves it. */
export interface ScenarioFigure {
  readonly scenario: string;
  readonly passed: number;
  readonly trials: number;
  readonly seconds: number;
  readonly note?: string;
}

/** Collects the scenarios' figures and prints them as N/N at the end of the suite. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'fault-summary-'));
  const file = join(dir, 'figures.jsonl');
  project.provide('faultSummaryFile', file);
  const t0 = performance.now();
  return async () => {
    const text = await readFile(file, 'utf8').catch(() => '');
    const figures = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ScenarioFigure);
    const width = Math.max(0, ...figures.map((f) => f.scenario.length));
    const lines = figures.map(
      (f) =>
        `  ${f.scenario.padEnd(width)}  ${String(f.passed).padStart(3)}/${String(f.trials).padEnd(3)} ${f.seconds
          .toFixed(0)
          .padStart(4)} s${f.note ? `  (${f.note})` : ''}`,
    );
    const passed = figures.reduce((a, f) => a + f.passed, 0);
    const trials = figures.reduce((a, f) => a + f.trials, 0);
    process.stdout.write(
      `\nFault injection: trials whose lake equals a clean run's (Silver row for row, ledger, releases once, ε once), with nothing left behind and no stack trace\n${lines.join('\n')}\n  ${'total'.padEnd(width)}  ${String(passed).padStart(3)}/${trials}  in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
    );
    await rm(dir, { recursive: true, force: true });
  };
}
