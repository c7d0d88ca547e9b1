import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { gaLine } from '../helpers/lake.js';

// Damaged state in a real local lake, made by the CLI on the shipped sample: each case damages
// one stored object, runs a command that reads it (exit 1, one line naming the object, no stack
// trace), then repairs it the way the message says and checks that the command works again.
// The cases share the lake, in order, each leaving it repaired.

/** A user absent from the sample: erasing them writes an erasures row and rewrites nothing. */
const ERASED = 'damaged-state-test-user';
const env = { DP_PSEUDONYM_KEY: '' };

let tmp: string;
let lake: string;
const cli = (...args: string[]) => runCli([...args, '--lake', lake], env, { cwd: tmp });
const file = (...parts: string[]) => join(lake, ...parts);
const checkpointFile = (blob: string) =>
  file('tables', 'checkpoints', 'bronze', `${encodeURIComponent(blob).replace(/\./g, '%2E')}.json`);

async function onlyFile(dir: string): Promise<string> {
  const names = await readdir(dir);
  expect(names).toHaveLength(1);
  return join(dir, names[0]!);
}

async function latestRunReport(): Promise<string> {
  const names = (await readdir(file('private', 'runs'))).sort();
  return file('private', 'runs', names.at(-1)!);
}

/** Keeps the first half of a file, as a crash or a full disk leaves it; returns the original. */
async function truncate(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  await writeFile(path, text.slice(0, Math.floor(text.length / 2)));
  return text;
}

/** Valid JSON of the wrong shape: one field changed; returns the original. */
async function garble(path: string, field: string, value: unknown): Promise<string> {
  const text = await readFile(path, 'utf8');
  await writeFile(path, JSON.stringify({ ...(JSON.parse(text) as object), [field]: value }));
  return text;
}

function expectDamaged(
  r: { code: number; stdout: string; stderr: string },
  object: RegExp,
  problem: RegExp,
): void {
  expect(r.stderr.endsWith('\n')).toBe(true);
  const lines = r.stderr.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1);
  const [line] = lines;
  expect(line).toMatch(/^dp-pipeline: /);
  expect(line!.slice('dp-pipeline: '.length)).toMatch(object);
  expect(line).toMatch(problem);
  expect(line).not.toMatch(/internal error|Error:|\bat file:/);
  expect(r.code).toBe(1);
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dp-damaged-'));
  lake = join(tmp, 'lake');
  await cp('examples/ga360/bronze', join(lake, 'bronze', 'ga360'), { recursive: true });
  // The timer's path: scan takes the claim and its local launcher runs the job (`run` on ./lake).
  const scan = cli('scan');
  expect(scan.stdout).toMatch(/started job/);
  expect(scan.code).toBe(0);
  expect(cli('erase', '--user', ERASED).code).toBe(0);
  expect(cli('flush-deletes').code).toBe(0);
  expect(cli('rotate-key', '--effective', '2016-09-01').code).toBe(0);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('damaged state in the local lake: one line naming the object, exit 1, then repaired as it says', () => {
  it('a truncated checkpoints row: run names it; deleting it lets the next run restore it', async () => {
    const blob = 'ga360/2016/08/04/ga_sessions_20160804.ndjson.gz';
    await truncate(checkpointFile(blob));
    expectDamaged(
      cli('run'),
      /^checkpoints entity \(bronze, ga360\/2016\/08\/04\/ga_sessions_20160804\.ndjson\.gz\) in \S+ is damaged/,
      /\(not valid JSON: it ends early, as if truncated\): restore it from a backup, or delete it/,
    );

    await rm(checkpointFile(blob));
    const repaired = cli('run', '--json');
    expect(repaired.code).toBe(0);
    const report = JSON.parse(repaired.stdout) as { totals: { balanced: boolean; silver: number } };
    expect(report.totals).toMatchObject({ balanced: true, silver: 0 });
    expect(JSON.parse(await readFile(checkpointFile(blob), 'utf8'))).toMatchObject({ status: 'processed' });
  });

  it('a truncated budget row: run names it and says not to delete it; restoring it repairs the lake', async () => {
    const path = file('tables', 'budget', 'month', '2016-08.json');
    const original = await truncate(path);
    expectDamaged(
      cli('run'),
      /^budget entity \(month, 2016-08\) in \S+2016-08\.json is damaged/,
      /: restore it from a backup; do not delete it: that forgets the privacy budget already spent/,
    );
    await writeFile(path, original);
    expect(cli('run').code).toBe(0);
  });

  it('a releases row of the wrong shape: run names it and the field; deleting it lets the next run rebuild it', async () => {
    const path = file('tables', 'releases', 'sessions_per_country', '2016-08.json');
    const original = JSON.parse(await garble(path, 'epsilon', 'one')) as Record<string, unknown>;
    expectDamaged(
      cli('run'),
      /^releases entity \(sessions_per_country, 2016-08\) in \S+ is damaged/,
      /\(field epsilon: Invalid input: expected number, received string\): delete it/,
    );
    await rm(path);
    expect(cli('run').code).toBe(0);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(original);
  });

  it('a truncated erasures row: erase names it by its pseudonym, never the raw id', async () => {
    const path = await onlyFile(file('tables', 'erasures', 'user'));
    const original = await truncate(path);
    const r = cli('erase', '--user', ERASED);
    expectDamaged(r, /^erasures entity \(user, [0-9a-f]{32}\) in \S+ is damaged/, /erase the user again/);
    expect(r.stderr).not.toContain(ERASED);
    expectDamaged(cli('run'), /^erasures entity \(user, [0-9a-f]{32}\)/, /ends early/);
    await writeFile(path, original);
    expect(cli('erase', '--user', ERASED).stdout).toMatch(/already erased/);
  });

  it('a pseudonymization key file with a bad key: erase names the file and the field, never the key', async () => {
    const path = file('private', 'keys', 'pseudonym-key.json');
    const secret = (JSON.parse(await readFile(path, 'utf8')) as { key: string }).key;
    const original = await garble(path, 'key', secret.slice(0, 40));
    const r = cli('erase', '--user', ERASED);
    expectDamaged(
      r,
      /^pseudonymization key file \S+\/private\/keys\/pseudonym-key\.json is damaged/,
      /\(field key: .*\): restore it from a backup; do not delete it/,
    );
    expect(r.stderr).not.toContain(secret.slice(0, 16));
    await writeFile(path, original);
    expect(cli('erase', '--user', ERASED).code).toBe(0);
  });

  it('a truncated rotated key file: run names it', async () => {
    const path = file('private', 'keys', 'pseudonym-key-v2.json');
    const original = await truncate(path);
    expectDamaged(
      cli('run'),
      /^pseudonymization key file \S+\/private\/keys\/pseudonym-key-v2\.json is damaged/,
      /ends early/,
    );
    await writeFile(path, original);
  });

  it('a scan claim of the wrong shape: scan names it; deleting it lets the next scan start the job', async () => {
    const claim = file('tables', 'checkpoints', 'scan', 'claim.json');
    await garble(claim, 'expires_at', 'soon');
    const lines = [1, 2, 3].map((i) =>
      gaLine({ user: `damaged-state-${i}`, visit: String(1470100000 + i), date: '20160815' }),
    );
    await mkdir(file('bronze', 'late'), { recursive: true });
    await writeFile(file('bronze', 'late', 'sessions.ndjson'), lines.join('\n') + '\n');
    expectDamaged(
      cli('scan'),
      /^checkpoints entity \(scan, claim\) in \S+claim\.json is damaged/,
      /\(field expires_at: Invalid ISO datetime\): restore it from a backup, or delete it/,
    );
    await rm(claim);
    const scan = cli('scan');
    expect(scan.code).toBe(0);
    expect(scan.stdout).toMatch(/1 pending blob\(s\); started job/);
  });

  it("a truncated run report: run names it; deleting it with its run's checkpoints lets the next run redo that run", async () => {
    const path = await latestRunReport();
    const runId = path.slice(path.lastIndexOf('/') + 1, -'.json'.length);
    const ingested = JSON.parse(await readFile(path, 'utf8')) as { totals: { records_read: number } };
    expect(ingested.totals.records_read).toBe(3); // the scan's job above read the new blob
    await truncate(path);
    expectDamaged(
      cli('run'),
      new RegExp(`^run report \\S+/private/runs/${runId}\\.json is damaged`),
      new RegExp(
        `restore it from a backup, or delete it together with the checkpoints rows whose run_id is ${runId}`,
      ),
    );

    await rm(path);
    const rows = join(lake, 'tables', 'checkpoints', 'bronze');
    for (const name of await readdir(rows)) {
      const row = JSON.parse(await readFile(join(rows, name), 'utf8')) as { run_id: string };
      if (row.run_id === runId) await rm(join(rows, name));
    }
    const redo = cli('run', '--json');
    expect(redo.code).toBe(0);
    const report = JSON.parse(redo.stdout) as { totals: Record<string, unknown> };
    expect(report.totals).toMatchObject({ records_read: 3, silver: 3, duplicates: 0, balanced: true });
  });
});
