import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT } from '../../src/config/index.js';
import { Engine, sqlString } from '../../src/engine/duckdb.js';
import type { Evaluation } from '../../src/evaluate/index.js';
import { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { lakeTexts } from '../helpers/grep-lake.js';
import { gaLine, tempLake } from '../helpers/lake.js';
import { silverRows } from '../helpers/silver.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempLake()));
afterAll(() => cleanup());

/** Visitors per continent, each with one session in each half of August 2016. */
const VISITORS = { Europe: 12, Americas: 9, Asia: 5 } as const;

const at = (day: string, s: number): string => String(Date.parse(`${day}T00:00:00Z`) / 1000 + s);

async function halfOfMonth(name: string, day: string): Promise<void> {
  const lines: string[] = [];
  let i = 0;
  for (const [continent, n] of Object.entries(VISITORS)) {
    for (let k = 0; k < n; k++, i++)
      lines.push(gaLine({ user: `7100${i}`, visit: at(day, i), date: day.replace(/-/g, ''), continent }));
  }
  await mkdir(join(dir, 'bronze', 'ga'), { recursive: true });
  await writeFile(join(dir, 'bronze', 'ga', name), lines.join('\n') + '\n');
}

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = runCli([...args, '--lake', dir]);
  outputs.push(r.stdout, r.stderr);
  return r;
}
const outputs: string[] = [];

describe('a key rotation in the middle of a month (CLI)', () => {
  it('run, rotate-key mid-month, run again: the month bounds each visitor once, and no link leaves Silver and private/', async () => {
    await halfOfMonth('first-half.ndjson', '2016-08-05');
    expect(cli(['run']).code).toBe(0);
    const rotated = cli(['rotate-key', '--effective', '2016-08-16']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('key v2 added');
    await halfOfMonth('second-half.ndjson', '2016-08-20');
    expect(cli(['run']).code).toBe(0);

    const total = Object.values(VISITORS).reduce((a, b) => a + b, 0);
    const rows = await silverRows(new FsLake(dir));
    expect(rows).toHaveLength(2 * total);
    expect(new Set(rows.map((r) => r.key_version))).toEqual(new Set(['v1', 'v2']));
    expect(new Set(rows.map((r) => r.user_pseudonym)).size).toBe(2 * total); // two per visitor
    // The person's link: on the rows under v2; under v1 it is the pseudonym itself.
    expect(rows.filter((r) => r.user_link !== null)).toHaveLength(total);
    const links = [...new Set(rows.map((r) => String(r.user_link ?? r.user_pseudonym)))];
    expect(links).toHaveLength(total);

    // Bounded values through `evaluate` (simulations on Silver, nothing published), with a
    // privacy-id count added to the built-in analyses.
    const config = join(dir, 'with-visitors.json');
    await writeFile(
      config,
      JSON.stringify({
        ...DEFAULT_CONFIG_INPUT,
        // Fixed L0 = Linf = 1 (not "auto"): a visitor's two sessions, one per key version, bound
        // to one session shows the person is one unit across the rotation.
        analyses: [
          ...DEFAULT_CONFIG_INPUT.analyses.map((a, i) =>
            i === 0 ? { ...a, max_partitions_contributed: 1, max_contributions_per_partition: 1 } : a,
          ),
          {
            ...DEFAULT_CONFIG_INPUT.analyses[0],
            max_partitions_contributed: 1,
            max_contributions_per_partition: 1,
            name: 'visitors_per_continent',
            description: 'Visitors',
            statistics: ['privacy_id_count'],
          },
        ],
      }),
    );
    const evaluated = cli(['evaluate', '--window', '2016-08', '--runs', '3', '--config', config]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const runs = await readdir(join(dir, 'private', 'evaluation'));
    expect(runs).toHaveLength(1);
    const evaluation = JSON.parse(
      await readFile(join(dir, 'private', 'evaluation', runs[0]!, 'evaluation.json'), 'utf8'),
    ) as Evaluation;
    const partitions = (name: string) => evaluation.analyses.find((a) => a.analysis === name)!.partitions;
    for (const [continent, n] of Object.entries(VISITORS)) {
      // L0 = Linf = 1: one session per visitor survives bounding, whatever the key version.
      const sessions = partitions('sessions_per_continent').find((p) => p.key === continent)!;
      expect(sessions.raw_unbounded, continent).toBe(2 * n);
      expect(sessions.bounded, continent).toEqual({ median: n, min: n, max: n });
      const visitors = partitions('visitors_per_continent').find((p) => p.key === continent)!;
      expect(visitors.raw_unbounded, continent).toBe(n);
      expect(visitors.bounded, continent).toEqual({ median: n, min: n, max: n });
    }

    // The link is private: in Silver and private/ only, never in Gold, run reports or output.
    for (const file of await lakeTexts(dir)) {
      if (file.path.startsWith('silver/') || file.path.startsWith('private/activity')) continue;
      for (const link of links) expect(file.text.includes(link), file.path).toBe(false);
    }
    for (const text of outputs) for (const link of links) expect(text).not.toContain(link);
  });

  it('refuses Silver written before links were kept that holds rows under v2: exit 1, one line naming the file, no budget spent', async () => {
    // Make the second half's Silver look as it did before this version: no user_link column.
    const engine = await Engine.open({ tempDirectory: join(dir, 'duck') });
    try {
      const sessions = join(dir, 'silver', 'sessions');
      for (const day of (await readdir(sessions)).filter((d) => d >= 'date=2016-08-16')) {
        for (const name of await readdir(join(sessions, day))) {
          const file = join(sessions, day, name);
          await engine.run(`COPY (SELECT * EXCLUDE (user_link) FROM read_parquet(${sqlString(file)}))
            TO ${sqlString(`${file}.old`)} (FORMAT parquet)`);
          await rename(`${file}.old`, file);
        }
      }
    } finally {
      engine.close();
    }
    const budget = async (): Promise<string[]> =>
      (await lakeTexts(dir)).filter((f) => f.path.startsWith('tables/budget')).map((f) => f.text);
    const before = await budget();
    for (const args of [
      ['evaluate', '--window', '2016-08', '--runs', '1'],
      ['explain', '--utility', '--month', '2016-08'],
    ]) {
      const refused = cli(args);
      expect(refused.code, args[0]).toBe(1);
      expect(refused.stderr.trim()).toMatch(
        /^dp-pipeline: .*silver\/sessions\/date=2016-08-20\/part-[^ ]+\.parquet: rows under key version v2 but no user_link column .*reprocess Bronze into a fresh lake$/,
      );
    }
    expect(await budget()).toEqual(before);
  });
});
