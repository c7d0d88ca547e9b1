import { spawnSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureLake } from '../../src/storage/azure/index.js';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';

/** ENTRYPOINT and CMD (exec form) of the Dockerfile's final stage, and what that stage says. */
async function imageCommand(): Promise<{
  entrypoint: string[];
  cmd: string[];
  stages: number;
  final: string;
}> {
  const text = await readFile('Dockerfile', 'utf8');
  const stages = text.split(/^FROM /m);
  const final = stages.at(-1)!;
  const exec = (instr: string): string[] => {
    const m = new RegExp(`^${instr}\\s+(\\[.*\\])\\s*$`, 'm').exec(final);
    if (!m) throw new Error(`Dockerfile: no exec-form ${instr} in the final stage`);
    return JSON.parse(m[1]!) as string[];
  };
  return { entrypoint: exec('ENTRYPOINT'), cmd: exec('CMD'), stages: stages.length - 1, final };
}

/** The image's WORKDIR /app is this checkout (built by `npm run build`), `node` is this Node. */
const onThisMachine = (argv: string[]): string[] =>
  argv.map((a, i) =>
    i === 0 && a === 'node' ? process.execPath : a.replace(/^\/app\//, `${resolve('.')}/`),
  );

let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite?.stop());

describe('the job image entrypoint against Azurite: upload → scan → local job → Silver/Gold', () => {
  it('processes uploaded Bronze blobs once and a second scan starts nothing', async () => {
    const t0 = performance.now();
    const { entrypoint, cmd, stages, final } = await imageCommand();
    expect(stages).toBeGreaterThanOrEqual(2);
    expect(final).toMatch(/^USER (?!root)\w+/m);
    expect(final).toMatch(/^WORKDIR \/app$/m);
    expect(final).toMatch(/--omit=dev/);
    expect(cmd).toEqual(['run']);
    const command = onThisMachine(entrypoint);
    // the local launcher starts the same program the image runs: node + the built CLI
    expect(command).toEqual([process.execPath, resolve('dist/src/cli/main.js')]);

    const env = {
      ...process.env,
      DP_STORAGE_CONNECTION_STRING: azurite.connectionString,
      DP_LAUNCHER: 'local',
      DP_LOG_LEVEL: 'warn',
    };
    const exec = (args: string[]): { code: number | null; stdout: string; stderr: string } => {
      const r = spawnSync(command[0]!, [...command.slice(1), ...args], {
        env,
        encoding: 'utf8',
        cwd: resolve('.'),
        timeout: 110_000,
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    const lake = AzureLake.fromConnectionString(azurite.connectionString);
    const days = ['01', '02', '03'];
    const src = 'examples/ga360/bronze/2016/08';
    expect((await readdir(src)).length).toBeGreaterThan(3);
    for (const d of days) {
      await lake
        .objects('bronze')
        .uploadFile(
          join(src, d, `ga_sessions_201608${d}.ndjson.gz`),
          `ga360/2016/08/${d}/ga_sessions_201608${d}.ndjson.gz`,
        );
    }

    const first = exec(['scan', '--json']);
    // the local job's summary goes to stderr; stdout is the scan's JSON alone
    expect(first.stderr).toMatch(/balanced\s+yes/);
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout) as {
      started: boolean;
      pending: number;
    };
    expect(result).toMatchObject({ started: true, pending: 3 });

    const keys = async (container: 'silver' | 'gold' | 'private', prefix: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const o of lake.objects(container).list(prefix)) out.push(o.key);
      return out;
    };
    const silver = await keys('silver', 'sessions/');
    expect(silver.filter((k) => k.endsWith('.parquet')).map((k) => k.split('/')[1])).toEqual([
      'date=2016-08-01',
      'date=2016-08-02',
      'date=2016-08-03',
    ]);
    const gold = await keys('gold', '');
    expect(gold).toEqual(
      expect.arrayContaining([
        'index.json',
        'releases/sessions_per_continent/2016-08.json',
        'releases/avg_session_duration_per_device/2016-08.json',
      ]),
    );
    const release = JSON.parse(
      (await lake.objects('gold').read('releases/sessions_per_continent/2016-08.json')).toString(),
    ) as {
      schema: string;
      partitions: unknown[];
    };
    expect(release.schema).toBe('dp-pipeline/release@1');
    expect(release.partitions.length).toBeGreaterThan(0);
    const runs = await keys('private', 'runs/');
    expect(runs).toHaveLength(1);
    const report = JSON.parse((await lake.objects('private').read(runs[0]!)).toString()) as {
      totals: { balanced: boolean; records_read: number };
    };
    expect(report.totals.balanced).toBe(true);
    expect(report.totals.records_read).toBeGreaterThan(0);
    const claim = await lake.tables('checkpoints').get('scan', 'claim');
    expect(claim?.entity).toMatchObject({ state: 'released', release_reason: 'run finished' });

    const second = exec(['scan', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout.trim())).toEqual({ started: false, pending: 0, reason: 'idle' });

    // The image's default command, as a job execution started without a template: idempotent.
    const job = exec(cmd);
    expect(job.stderr).toBe('');
    expect(job.code).toBe(0);
    expect(await keys('silver', 'sessions/')).toEqual(silver);
    expect(await keys('private', 'runs/')).toHaveLength(2);

    const seconds = (performance.now() - t0) / 1000;
    console.log(`azurite job e2e: ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(120);
  });
});
