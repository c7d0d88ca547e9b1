import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT } from '../../src/config/index.js';
import { listManifest, MANIFEST_PARTITION, readManifestRow } from '../../src/lake/index.js';
import { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { tempLake } from '../helpers/lake.js';

// The shipped GA360 sample (2016-08) in a real local lake. The first run commits Silver but its
// Gold phase is refused for budget (a tight cap), so August is still pending: each case damages
// one Silver file before August's Gold phase, runs the CLI, and checks that nothing was charged
// or published; then it puts the file back.

/** A real visitor of the sample with sessions on 2016-08-02..05. */
const USER = '315017261115039181';
const env = { DP_PSEUDONYM_KEY: '' };

let dir: string;
let cleanup: () => Promise<void>;
const cli = (...args: string[]) => runCli([...args, '--lake', dir], env);
const silverDir = (day: string) => join(dir, 'silver', 'sessions', `date=2016-08-${day}`);

/** Every file under `sub` of the lake with its content hash (missing dir: empty). */
async function snapshot(sub: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const root = join(dir, sub);
  const names = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const text = await readFile(join(root, name)).catch(() => undefined);
    if (text) out[name] = createHash('sha256').update(text).digest('hex');
  }
  return out;
}

async function onlyPart(day: string): Promise<{ path: string; key: string; run: string }> {
  const names = (await readdir(silverDir(day))).filter((n) => n.endsWith('.parquet'));
  expect(names).toHaveLength(1);
  const name = names[0]!;
  return {
    path: join(silverDir(day), name),
    key: `sessions/date=2016-08-${day}/${name}`,
    run: name.slice('part-'.length, -'.parquet'.length),
  };
}

function expectRefused(r: { code: number; stderr: string }, key: string, run: string, problem: RegExp): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`silver file ${key} (committed by run ${run}) is damaged (`);
  expect(lines[0]).toMatch(problem);
  expect(lines[0]).toMatch(/restore it from a backup, or reprocess its Bronze blobs/);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempLake());
  const tight = join(dir, 'tight.json');
  await writeFile(tight, JSON.stringify({ ...DEFAULT_CONFIG_INPUT, budget: { monthly_epsilon_cap: 1.5 } }));
  const first = runCli(['run', '--lake', dir, '--with-sample', '--config', tight], env);
  expect(first.code).toBe(3);
});
afterAll(() => cleanup());

describe('verified commits: damaged Silver is refused before anything is spent', () => {
  it('a deleted Silver file of a pending month: run exits 1 naming it, budget and Gold unchanged; its remedy restores the rows', async () => {
    const { path, key, run } = await onlyPart('03');
    const budget = await snapshot('tables/budget');
    const gold = await snapshot('gold');
    await rm(path);
    expectRefused(cli('run'), key, run, /\(missing\)/);
    expect(await snapshot('tables/budget')).toEqual(budget);
    expect(await snapshot('gold')).toEqual(gold);

    // The remedy it names: drop the manifest row, upload the run's Bronze blobs again. The next
    // run reads them again and puts back exactly the lost rows (the rest count as duplicates),
    // and the Gold phase gets past verification (refused only for budget again).
    const lake = new FsLake(dir);
    const rowsLost = (await readManifestRow(lake, 'silver', key))!.rows;
    await lake.tables('checkpoints').delete(MANIFEST_PARTITION, `silver/${key}`);
    const report = JSON.parse(await readFile(join(dir, 'private', 'runs', `${run}.json`), 'utf8')) as {
      blobs: { key: string }[];
    };
    for (const b of report.blobs)
      await lake.objects('bronze').write(b.key, await lake.objects('bronze').read(b.key));
    const again = runCli(['run', '--lake', dir, '--config', join(dir, 'tight.json'), '--json'], env);
    expect(again.code).toBe(3);
    const totals = (JSON.parse(again.stdout) as { totals: { silver: number; records_read: number } }).totals;
    expect(totals.silver).toBe(rowsLost);
    expect(totals.records_read).toBe(74759);
    expect((await onlyPart('03')).run).not.toBe(run);
  });

  it('a truncated Silver file: run exits 1 naming it and its size; budget and Gold unchanged', async () => {
    const { path, key, run } = await onlyPart('05');
    const body = await readFile(path);
    const budget = await snapshot('tables/budget');
    const gold = await snapshot('gold');
    await writeFile(path, body.subarray(0, Math.floor(body.length / 2)));
    expectRefused(
      cli('run'),
      key,
      run,
      new RegExp(`\\(${Math.floor(body.length / 2)} bytes, the manifest says ${body.length}\\)`),
    );
    expect(await snapshot('tables/budget')).toEqual(budget);
    expect(await snapshot('gold')).toEqual(gold);
    await writeFile(path, body);
  });

  it('a Silver file altered in place (same size): refused by its SHA-256', async () => {
    const { path, key, run } = await onlyPart('10');
    const body = await readFile(path);
    const altered = Buffer.from(body);
    const mid = Math.floor(altered.length / 2);
    altered[mid] = altered[mid]! ^ 0xff;
    await writeFile(path, altered);
    expectRefused(cli('run'), key, run, /SHA-256 differs from the manifest/);
    await writeFile(path, body);
  });

  it('a damaged blob index: flush-deletes exits 1 naming it before touching Bronze (it would miss blobs)', async () => {
    const indexDir = join(dir, 'private', 'activity-index');
    const names = (await readdir(indexDir, { recursive: true })).filter((n) => n.endsWith('.parquet')).sort();
    expect(names.length).toBeGreaterThan(0);
    const path = join(indexDir, names[0]!);
    const body = await readFile(path);
    expect(cli('erase', '--user', USER).code).toBe(0);
    const bronze = await snapshot('bronze');
    await writeFile(path, body.subarray(0, body.length - 100));
    const r = cli('flush-deletes');
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`private file activity-index/${names[0]!}`);
    expect(lines[0]).toMatch(/bytes, the manifest says/);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(await snapshot('bronze')).toEqual(bronze);
    await writeFile(path, body); // the next case flushes the request
  });

  it('after erase + flush-deletes the manifest matches the rewritten files, and the release works', async () => {
    const before = await onlyPart('02');
    const oldHash = createHash('sha256')
      .update(await readFile(before.path))
      .digest('hex');
    expect(cli('erase', '--user', USER).code).toBe(0);
    const flushed = cli('flush-deletes');
    expect(flushed.code).toBe(0);

    const lake = new FsLake(dir);
    const rows = new Map<string, { sha256: string; bytes: number; pending: boolean }>();
    for await (const row of listManifest(lake)) {
      rows.set(row.rowKey, {
        sha256: row.sha256,
        bytes: row.bytes,
        pending: row.pending_sha256 !== undefined,
      });
    }
    const files: string[] = [];
    for await (const o of lake.objects('silver').list('sessions/')) files.push(o.key);
    for await (const o of lake.objects('private').list('activity')) files.push(`private:${o.key}`);
    expect(files.length).toBeGreaterThan(31);
    for (const f of files) {
      const [container, key] = f.startsWith('private:') ? ['private', f.slice(8)] : ['silver', f];
      const body = await readFile(join(dir, container, key));
      const row = rows.get(`${container}/${key}`);
      expect(row, f).toEqual({
        sha256: createHash('sha256').update(body).digest('hex'),
        bytes: body.length,
        pending: false,
      });
    }
    // The user's day was rewritten, so its row moved with it.
    const after = createHash('sha256')
      .update(await readFile(before.path))
      .digest('hex');
    expect(after).not.toBe(oldHash);

    const ok = cli('run');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/releases\s+4 written/);
  });
});
