import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT } from '../../src/config/index.js';
import { CLI, runCli } from '../helpers/cli.js';
import { tempLake } from '../helpers/lake.js';

// A small synthetic lake (10 days of August 2016), processed by `run`, then asked through the CLI.
let dir: string;
let lake: string;
let cleanup: () => Promise<void>;
let tightConfig: string;

async function files(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempLake());
  lake = join(dir, 'g');
  expect(
    runCli([
      'generate',
      '--out',
      lake,
      '--days',
      '10',
      '--users',
      '300',
      '--seed',
      '7',
      '--start-date',
      '2016-08-01',
    ]).code,
  ).toBe(0);
  expect(runCli(['run', '--lake', lake]).code).toBe(0);
  tightConfig = join(dir, 'tight.json');
  await writeFile(
    tightConfig,
    JSON.stringify({
      ...DEFAULT_CONFIG_INPUT,
      active_users: { ...DEFAULT_CONFIG_INPUT.active_users, dau: { epsilon: 0.3, monthly_epsilon_cap: 0.6 } },
    }),
  );
});
afterAll(() => cleanup());

describe('dau / mau / budget / reset-budget commands', () => {
  it('releases a day once, then re-serves it; --json prints the release', () => {
    const first = runCli(['dau', '--day', '2016-08-03', '--lake', lake]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^DAU 2016-08-03: -?[\d,]+ \(95% CI -?[\d,]+ to -?[\d,]+\), ε = 0\.3; new release, ε charged 0\.3;/,
    );
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    const again = runCli(['dau', '--day', '2016-08-03', '--lake', lake, '--json']);
    expect(again.code).toBe(0);
    const release = JSON.parse(again.stdout) as { analysis: string; partitions: { value: number }[] };
    expect(release.analysis).toBe('dau');
    expect(first.stdout).toContain(`: ${release.partitions[0]!.value.toLocaleString('en-US')} (`);
    const budget = runCli(['budget', '--metric', 'dau', '--month', '2016-08', '--lake', lake, '--json']);
    expect(JSON.parse(budget.stdout)).toMatchObject({ metric: 'dau', epsilon_spent: 0.3, release_count: 1 });
  });

  it('releases rolling MAU and a continual series', () => {
    const mau = runCli(['mau', '--end', '2016-08-10', '--window', '7', '--lake', lake]);
    expect(mau.code).toBe(0);
    expect(mau.stdout).toMatch(/^MAU 2016-08-10 \(7 days\): .*δ = 0\.000001; new release/);
    const series = runCli(['mau', '--month', '2016-08', '--lake', lake]);
    expect(series.code).toBe(0);
    expect(series.stdout).toMatch(/^MAU series 2016-08 \(30 days\): 31 days,/);
    expect(runCli(['budget', '--metric', 'mau', '--month', '2016-08', '--lake', lake]).stdout).toMatch(
      /^mau 2016-08: ε [\d.]+ of 3\.5 spent, .*2 release\(s\) \(δ = 0\.000001, composed in zCDP\)/,
    );
  });

  it('exits 3 and writes nothing when the budget is exhausted; reset-budget needs --force', async () => {
    expect(runCli(['dau', '--day', '2016-08-04', '--lake', lake, '--config', tightConfig]).code).toBe(0);
    const before = await files(lake);
    const refused = runCli(['dau', '--day', '2016-08-05', '--lake', lake, '--config', tightConfig]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^dp-pipeline: privacy budget exhausted for dau in 2016-08/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(await files(lake)).toEqual(before);

    const noForce = runCli(['reset-budget', '--metric', 'dau', '--month', '2016-08', '--lake', lake]);
    expect(noForce.code).toBe(1);
    expect(noForce.stderr).toMatch(/without --force/);
    const reset = runCli([
      'reset-budget',
      '--metric',
      'dau',
      '--month',
      '2016-08',
      '--lake',
      lake,
      '--force',
    ]);
    expect(reset.code).toBe(0);
    expect(reset.stderr).toContain('"event":"budget_reset"');
    expect(runCli(['dau', '--day', '2016-08-05', '--lake', lake, '--config', tightConfig]).code).toBe(0);
  });

  it('answers bad input with exit 1 and one line', () => {
    for (const args of [
      ['dau', '--lake', lake],
      ['dau', '--day', '2016-08-32', '--lake', lake],
      ['budget', '--metric', 'wau', '--lake', lake],
      ['mau', '--end', '2016-08-10', '--window', '0', '--lake', lake],
    ]) {
      const r = runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('serve', () => {
  it('refuses to start without API keys', () => {
    const r = runCli(['serve', '--port', '0', '--lake', lake], { DP_API_KEYS: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DP_API_KEYS/);
  });

  it('serves GET /dau on 127.0.0.1 with the key', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--lake', lake], {
      env: { ...process.env, DP_API_KEYS: 'k-1,k-2', DP_LOG_LEVEL: 'warn' },
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const res = await fetch(`${url}/dau/2016-08-03`, { headers: { 'x-api-key': 'k-2' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ day: '2016-08-03', reused: true });
      expect((await fetch(`${url}/dau/2016-08-03`)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
