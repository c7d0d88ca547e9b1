import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/index.js';
import { FsLake } from '../../src/storage/index.js';
import { CLI, runCli } from '../helpers/cli.js';
import { tempLake } from '../helpers/lake.js';
import { silverRows } from '../helpers/silver.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempLake());
});
afterEach(() => cleanup());

/**
 * Writes GA360 full-schema sessions of `hits` hits each (one day) into the lake's Bronze under
 * `name`, gzip (as generated) or plain; returns the lines written.
 */
async function bronze(
  name: string,
  seed: string,
  users: number,
  hits: number,
  gzip: boolean,
): Promise<string[]> {
  const out = join(dir, 'gen', name);
  const g = await generate({ out, days: 1, users, seed, fullSchema: true, hitsPerSession: hits });
  expect(g.files).toHaveLength(1);
  const gz = await readFile(g.files[0]!);
  const text = gunzipSync(gz);
  await writeFile(join(dir, 'bronze', `${name}.ndjson${gzip ? '.gz' : ''}`), gzip ? gz : text);
  await rm(out, { recursive: true });
  const lines = text.toString('utf8').trim().split('\n');
  expect(lines).toHaveLength(g.sessions);
  return lines;
}

interface Run {
  totals: { records_read: number; silver: number; rejected: number; duplicates: number; balanced: boolean };
  rejected_by_reason: Record<string, number>;
}

describe('GA360 export sessions with hits arrays', () => {
  it('brings sessions of 500 and 3,000 hits (gzip and plain) to Silver with their totals, none quarantined', async () => {
    await new FsLake(dir).objects('bronze').write('.keep', '');
    const lines = [
      ...(await bronze('h500-gz', 'hits-a', 160, 500, true)),
      ...(await bronze('h500-plain', 'hits-b', 160, 500, false)),
      ...(await bronze('h3000-gz', 'hits-c', 70, 3000, true)),
      ...(await bronze('h3000-plain', 'hits-d', 70, 3000, false)),
    ];
    const sessions = lines.map((l) => JSON.parse(l) as GaSession);
    const byLength = lines.map((l) => Buffer.byteLength(l));
    // Over the former 1 MiB limit: each of these was quarantined as line_too_long before.
    expect(Math.min(...byLength)).toBeGreaterThan(1024 * 1024);
    expect(Math.max(...byLength)).toBeGreaterThan(6 * 1024 * 1024);
    expect(sessions.filter((s) => s.hits.length === 3000).length).toBeGreaterThanOrEqual(2);
    expect(sessions.filter((s) => s.hits.length === 500).length).toBeGreaterThanOrEqual(4);

    const r = runCli(['run', '--lake', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Run;
    expect(report.totals).toMatchObject({
      records_read: sessions.length,
      silver: sessions.length,
      rejected: 0,
      duplicates: 0,
      balanced: true,
    });
    expect(report.rejected_by_reason).toEqual({});
    expect(await readdir(join(dir, 'quarantine')).catch(() => [])).toEqual([]);

    const rows = await silverRows(new FsLake(dir));
    expect(rows).toHaveLength(sessions.length);
    const want = new Map(sessions.map((s) => [s.visitId, s.totals]));
    expect(want.size).toBe(sessions.length);
    for (const row of rows) {
      const t = want.get(String(row.session_id));
      expect(t, String(row.session_id)).toBeDefined();
      expect(row.hits).toBe(Number(t!.hits));
      expect(row.pageviews).toBe(t!.pageviews === undefined ? null : Number(t!.pageviews));
      expect(row.time_on_site_ms).toBe(t!.timeOnSite === undefined ? null : BigInt(t!.timeOnSite) * 1000n);
      expect(row.transactions).toBe(Number(t!.transactions ?? 0));
    }
  }, 120_000);

  it('keeps peak RSS under 1 GiB for a 50 MB line (plain and gzip)', async () => {
    await new FsLake(dir).objects('bronze').write('.keep', '');
    const lines = [
      ...(await bronze('big-gz', 'hits-big-a', 60, 22_500, true)),
      ...(await bronze('big-plain', 'hits-big-b', 60, 22_500, false)),
    ];
    const n = lines.length;
    expect(n).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(Buffer.byteLength(l)).toBeGreaterThan(50_000_000);
    lines.length = 0;

    const r = spawnSync('/usr/bin/time', ['-v', process.execPath, CLI, 'run', '--lake', dir, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, DP_LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Run;
    expect(report.totals).toMatchObject({ records_read: n, silver: n, rejected: 0, balanced: true });
    const kib = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
    expect(kib).toBeGreaterThan(0);
    expect(kib * 1024).toBeLessThan(1024 ** 3);
  }, 60_000);
});

interface GaSession {
  visitId: string;
  totals: { hits: string; pageviews?: string; timeOnSite?: string; transactions?: string };
  hits: unknown[];
}
