import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundingPlanOf } from '../../src/analyses/bounding-plan.js';
import {
  addProfileRows,
  contributionBucket,
  emptyProfile,
  exactProfiles,
  profileFromStagedSql,
  type ProfileRow,
} from '../../src/analyses/contribution-profile.js';
import { stagedColumns } from '../../src/analyses/bounded-sql.js';
import { planAnalysis } from '../../src/analyses/index.js';
import { stageBuckets } from '../../src/analyses/staging.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { useTempEngine } from '../helpers/lake.js';
import { unrotatedSilver } from '../helpers/silver.js';

const temp = useTempEngine();

describe('exact contribution profiles (the input of automatic bounds)', () => {
  it('count users by partitions touched, most rows in one partition and value, alone or summed over user buckets', async () => {
    // 600 users over two months: most with one session (the n = 1 shortcut), others with up to 9
    // sessions over 1–3 devices; every session of a user has the same duration (so the keyed-hash
    // choice of "one of their values" is known), a tenth of them none (missing counts as 0).
    const rng = seededRandom('profile-rows');
    const pick = (n: number): number => Number(rng.randomBelow(BigInt(n)));
    const devices = ['desktop', 'mobile', 'tablet'];
    const rows: string[] = [];
    type Expect = { np: number; maxn: number; v: number };
    const expected = new Map<string, Expect[]>([
      ['2016-08', []],
      ['2016-09', []],
    ]);
    for (let u = 0; u < 600; u++) {
      const month = u % 2 === 0 ? '2016-08' : '2016-09';
      const sessions = pick(3) === 0 ? 2 + pick(8) : 1;
      const ms = pick(10) === 0 ? null : pick(5000);
      const perDevice = new Map<string, number>();
      for (let s = 0; s < sessions; s++) {
        const d = devices[sessions === 1 ? pick(3) : pick(1 + (u % 3))]!;
        perDevice.set(d, (perDevice.get(d) ?? 0) + 1);
        rows.push(
          `(DATE '${month}-${String(1 + pick(28)).padStart(2, '0')}', 'u${u}', 's${u}-${s}', '${d}', ${ms ?? 'NULL'})`,
        );
      }
      expected.get(month)!.push({ np: perDevice.size, maxn: Math.max(...perDevice.values()), v: ms ?? 0 });
    }
    const file = join(temp.dir, 'profile.parquet');
    await temp.engine.run(`COPY (SELECT * FROM (VALUES ${rows.join(', ')})
      t(date, user_pseudonym, session_id, device_category, time_on_site_ms)) TO ${sqlString(file)} (FORMAT parquet)`);
    const silver = await unrotatedSilver(temp.engine, [file]);
    const config = parseConfig(DEFAULT_CONFIG_INPUT);
    const plan = planAnalysis(config.analyses[1]!); // mean duration per device, missing as 0
    const windows = [
      { id: '2016-08', start: '2016-08-01', end: '2016-08-31' },
      { id: '2016-09', start: '2016-09-01', end: '2016-09-30' },
    ];

    // What the profile must be, from the users above.
    const reference = new Map(windows.map((w) => [w.id, emptyProfile(true)]));
    for (const [id, users] of expected) {
      const p = reference.get(id)!;
      for (const e of users) {
        (p.partitions as bigint[])[contributionBucket(e.np)]! += 1n;
        (p.rows as bigint[])[contributionBucket(e.maxn)]! += 1n;
        (p.values as bigint[])[Math.min(40, Math.floor(Math.log2(e.v + 1)))]! += 1n;
      }
    }
    const alone = await exactProfiles(temp.engine, plan, silver, windows, seededRandom('profile-salt'));
    expect(alone).toEqual(reference);

    // The same profile from a staging split into user buckets, one bucket at a time.
    const staging = await stageBuckets(temp.engine, silver, windows, stagedColumns([plan]), {
      rowsPerBucket: 150,
    });
    try {
      expect(staging.count).toBeGreaterThan(2);
      const bp = boundingPlanOf(
        plan,
        windows.map((w, index) => ({ index, id: w.id, salt: '' })),
      );
      const summed = new Map(windows.map((w) => [w.id, emptyProfile(true)]));
      for (const b of staging.buckets) {
        addProfileRows(
          summed,
          await temp.engine.all<ProfileRow>(profileFromStagedSql(bp, `(${staging.rowsSql(b)})`, 'salt')),
        );
      }
      expect(summed).toEqual(reference);
    } finally {
      await staging.close();
    }
  });
});
