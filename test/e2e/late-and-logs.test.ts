import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { gaLine, tempLake } from '../helpers/lake.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempLake());
  for (const day of ['01', '02']) {
    await cp(`examples/ga360/bronze/2016/08/${day}`, join(dir, 'bronze', '2016', '08', day), {
      recursive: true,
    });
  }
});
afterAll(() => cleanup());

describe('late data and logs', () => {
  it('tallies rows for an already-released month as late and never re-releases it', async () => {
    const first = runCli(['run', '--lake', dir]);
    expect(first.code).toBe(0);
    const release = await readFile(join(dir, 'gold/releases/sessions_per_continent/2016-08.json'), 'utf8');
    const late = [gaLine({ user: '7777', visit: '1472700000', date: '20160831' })].join('\n');
    await cp(join(dir, 'bronze', '2016', '08', '01'), join(dir, 'bronze', 'copy'), { recursive: true }); // already-seen sessions
    await mkdir(join(dir, 'bronze', 'late'), { recursive: true });
    await writeFile(join(dir, 'bronze', 'late', 'l.ndjson.gz'), gzipSync(late + '\n'));
    const second = runCli(['run', '--lake', dir, '--json']);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout);
    expect(report.totals.silver).toBe(1);
    expect(report.totals.late).toBe(1);
    expect(report.totals.duplicates).toBeGreaterThan(1000);
    expect(report.epsilon_spent).toBe(0);
    expect(await readFile(join(dir, 'gold/releases/sessions_per_continent/2016-08.json'), 'utf8')).toBe(
      release,
    );
  });

  it('logs at debug level without raw user ids or raw values', async () => {
    const { dir: d, cleanup: c } = await tempLake();
    try {
      await cp('examples/ga360/bronze/2016/08/03', join(d, 'bronze', '03'), { recursive: true });
      const r = runCli(['run', '--lake', d], { DP_LOG_LEVEL: 'debug' });
      expect(r.code).toBe(0);
      expect(r.stderr.length).toBeGreaterThan(0); // it did log
      for (const line of r.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
      const lines = gunzipSync(
        await readFile('examples/ga360/bronze/2016/08/03/ga_sessions_20160803.ndjson.gz'),
      )
        .toString()
        .trim()
        .split('\n');
      const visitorIds = lines
        .slice(0, 200)
        .map((l) => (JSON.parse(l) as { fullVisitorId: string }).fullVisitorId);
      for (const id of visitorIds) expect(r.stderr).not.toContain(id);
    } finally {
      await c();
    }
  });

  it('answers --help for every command', () => {
    for (const cmd of ['run', 'generate', 'explain']) {
      const r = runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: dp-pipeline ${cmd}`);
    }
  });
});
