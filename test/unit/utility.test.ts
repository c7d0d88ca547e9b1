import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planAnalysis } from '../../src/analyses/index.js';
import { suggestBounds } from '../../src/analyses/utility.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { useTempEngine } from '../helpers/lake.js';
import { unrotatedSilver } from '../helpers/silver.js';

const temp = useTempEngine();

describe('explain --utility bound suggestions', () => {
  it('reads L0, Linf and the value clamp off the contribution distribution', async () => {
    // 1,000 users: each visits 3 devices, with 5 sessions on one of them (and 1 on the others);
    // session durations below 1,023 ms except one session of 100,000 ms for 2% of users.
    const rows: string[] = [];
    const devices = ['desktop', 'mobile', 'tablet'];
    for (let u = 0; u < 1000; u++) {
      let s = 0;
      devices.forEach((d, i) => {
        for (let k = 0; k < (i === u % 3 ? 5 : 1); k++) {
          const v = u % 50 === 0 ? 100_000 : 500;
          rows.push(`('u${u}', 's${u}-${s++}', '${d}', ${v})`);
        }
      });
    }
    const file = join(temp.dir, 'utility.parquet');
    await temp.engine.run(`COPY (SELECT DATE '2016-08-15' AS date, * FROM (VALUES ${rows.join(', ')})
      t(user_pseudonym, session_id, device_category, time_on_site_ms)) TO ${sqlString(file)} (FORMAT parquet)`);
    const config = parseConfig(DEFAULT_CONFIG_INPUT);
    const plan = planAnalysis(config.analyses[1]!);
    const window = { id: '2016-08', start: '2016-08-01', end: '2016-08-31' };
    // A large ε makes the noise negligible, so the suggestion must equal the truth.
    const silver = await unrotatedSilver(temp.engine, [file]);
    const s = await suggestBounds(temp.engine, plan, silver, window, 30, seededRandom('utility'));
    expect(s.maxPartitionsContributed).toBe(3);
    // 5 rows lie in the bucket (4, 6]: its upper edge is the suggestion.
    expect(s.maxContributionsPerPartition).toBe(6);
    // A user's value is one of their sessions (keyed hash): 500 ms for 98% of users → bucket [255, 511).
    expect(s.valueUpper).toBe(511);
    expect(s.configuredCoverage.l0).toBe(0); // nobody has only 1 partition
    expect(s.configuredCoverage.linf).toBe(0);
    expect(s.configuredCoverage.value).toBeGreaterThan(0.97);
  });
});
