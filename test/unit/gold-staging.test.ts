import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { userBucketOf } from '../../src/analyses/bounded-sql.js';
import { planAll, type WindowAggregates } from '../../src/analyses/index.js';
import { boundedAggregatesOfAll } from '../../src/analyses/release.js';
import { stageBuckets } from '../../src/analyses/staging.js';
import { monthWindow } from '../../src/analyses/windows.js';
import { parseConfig, DEFAULT_CONFIG_INPUT } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { useTempEngine } from '../helpers/lake.js';
import { unrotatedSilver } from '../helpers/silver.js';

const temp = useTempEngine();

/** 400 users with 1–5 sessions in Aug–Sep 2016 (some in July, outside the windows). */
async function writeSilver(file: string, seed: string): Promise<number> {
  const rng = seededRandom(seed);
  const pick = (n: number): number => Number(rng.randomBelow(BigInt(n)));
  const values: string[] = [];
  for (let u = 0; u < 400; u++) {
    const user = rng
      .randomBelow(1n << 128n)
      .toString(16)
      .padStart(32, '0');
    for (let s = 0, n = 1 + pick(5); s < n; s++) {
      const date = `2016-0${7 + pick(3)}-${String(1 + pick(28)).padStart(2, '0')}`;
      const device = ['desktop', 'mobile', 'tablet'][pick(3)]!;
      values.push(
        `(DATE '${date}', 's${u}-${s}', '${user}', '${device}', 'Europe', 'France', ${pick(9)}, ${pick(700_000)})`,
      );
    }
  }
  await temp.engine.run(`COPY (SELECT * FROM (VALUES ${values.join(', ')})
      t(date, session_id, user_pseudonym, device_category, continent, country, pageviews, time_on_site_ms))
    TO ${sqlString(file)} (FORMAT parquet)`);
  return values.length;
}

const windows = [monthWindow('2016-08'), monthWindow('2016-09')];

describe('staging Silver by user bucket', () => {
  it("stages every row of the windows once, in its user's bucket, readable again, and deletes it on close", async () => {
    const file = join(temp.dir, 'staging-rows.parquet');
    await writeSilver(file, 'staging-rows');
    const silver = await unrotatedSilver(temp.engine, [file]);
    const [inWindows] = await temp.engine.all<{ n: bigint }>(
      `SELECT count(*) AS n FROM ${silver.relation} WHERE date BETWEEN DATE '2016-08-01' AND DATE '2016-09-30'`,
    );
    const scratch = join(temp.dir, 'run-scratch');
    await mkdir(scratch, { recursive: true });
    const staged = await stageBuckets(temp.engine, silver, windows, ['device_category'], {
      rowsPerBucket: 100,
      dir: scratch,
    });
    expect(staged.count).toBe(Math.ceil(silver.rows / 100));
    expect(staged.buckets.length).toBe(staged.count);
    let total = 0;
    for (const b of staged.buckets) {
      const rows = await temp.engine.all<{ pid: string; rid: string; n: bigint }>(staged.rowsSql(b));
      for (const r of rows) expect(userBucketOf(r.pid, staged.count), r.pid).toBe(b);
      // A second pass reads the same rows.
      expect(await temp.engine.all(staged.rowsSql(b))).toHaveLength(rows.length);
      total += rows.length;
    }
    expect(total).toBe(Number(inWindows!.n));
    expect(await readdir(scratch)).toHaveLength(1);
    await staged.close();
    expect(await readdir(scratch)).toEqual([]);
  });

  it('reads one bucket from Silver as it is, without writing a staging', async () => {
    const file = join(temp.dir, 'staging-one.parquet');
    await writeSilver(file, 'staging-one');
    const silver = await unrotatedSilver(temp.engine, [file]);
    const scratch = join(temp.dir, 'run-scratch-one');
    await mkdir(scratch, { recursive: true });
    const staged = await stageBuckets(temp.engine, silver, windows, ['device_category'], { dir: scratch });
    expect(staged).toMatchObject({ count: 1, buckets: [0] });
    expect(staged.rowsSql(0)).toContain(silver.relation);
    expect(await readdir(scratch)).toEqual([]);
    await staged.close();
    await expect(stat(file)).resolves.toBeDefined();
  });

  it('gives the same bounded aggregates of every analysis bucketed through the staging as in one bucket', async () => {
    const file = join(temp.dir, 'staging-equal.parquet');
    await writeSilver(file, 'staging-equal');
    const silver = await unrotatedSilver(temp.engine, [file]);
    const plans = planAll(parseConfig(DEFAULT_CONFIG_INPUT));
    const jobs = plans.map((plan) => ({ plan, windows }));
    const plain = (all: WindowAggregates[]): unknown =>
      all.map((byWindow) =>
        [...byWindow].map(([w, byKey]) => [w, [...byKey].sort(([a], [b]) => a.localeCompare(b))]),
      );
    // The same seed gives the same salts, so only the bucketing differs.
    const one = await boundedAggregatesOfAll(temp.engine, jobs, silver, seededRandom('staging-equal'));
    const many = await boundedAggregatesOfAll(temp.engine, jobs, silver, seededRandom('staging-equal'), {
      rowsPerBucket: 50,
    });
    expect(plain(many)).toEqual(plain(one));
    expect(one.every((byWindow) => [...byWindow.values()].every((byKey) => byKey.size > 0))).toBe(true);
  });
});
