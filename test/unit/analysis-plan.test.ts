import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeReleases, planAll, planAnalysis } from '../../src/analyses/index.js';
import { explainConfig } from '../../src/analyses/explain.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { rhoToEpsilon, seededRandom } from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { UserError } from '../../src/errors.js';
import { useTempEngine } from '../helpers/lake.js';
import { unrotatedSilver } from '../helpers/silver.js';

const temp = useTempEngine();

const seedCount = DEFAULT_CONFIG_INPUT.analyses[0];

describe('analysis plans', () => {
  it('calibrates Gaussian noise as zCDP and states ρ, δ and the composed monthly ε', () => {
    const config = parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      budget: { monthly_epsilon_cap: 4, monthly_delta_cap: 1e-5, accounting: 'zcdp' },
      analyses: [
        {
          ...seedCount,
          noise: 'gaussian',
          delta: 1e-6,
          max_partitions_contributed: 1,
          max_contributions_per_partition: 1,
        },
      ],
    });
    const [plan] = planAll(config);
    expect(plan!.statistics[0]!.mechanism).toBe('discrete_gaussian');
    // One zCDP part, stated as the (ε = 1, δ = 1e-6) the config asked for.
    expect(plan!.cost).toHaveLength(1);
    const [part] = plan!.cost;
    expect(part).toMatchObject({ measure: 'zcdp', epsilon: 1 });
    if (part?.measure !== 'zcdp') throw new Error('expected a zCDP cost');
    expect(part.delta).toBeCloseTo(1e-6, 15);
    // The ρ the mechanism spends gives at most (ε = 1, δ = 1e-6).
    expect(rhoToEpsilon(part.rho, 1e-6)).toBeLessThanOrEqual(1 + 1e-9);
    const text = explainConfig(config, 'c.json');
    expect(text).toMatch(/COUNT: discrete Gaussian on 1 noisy part/);
    expect(text).toMatch(/\(zcdp composition, ρ = 0\.0\d+\)/);
  });

  it('costs Laplace statistics as pure ε and private partition selection as approximate (ε, δ)', () => {
    const fixed = { max_partitions_contributed: 1, max_contributions_per_partition: 1 };
    const config = parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      analyses: DEFAULT_CONFIG_INPUT.analyses.map((a) =>
        'bounds' in a ? { ...a, ...fixed, bounds: [0, 100] } : { ...a, ...fixed },
      ),
    });
    const plans = planAll(config);
    const country = plans.find((p) => p.name === 'sessions_per_country')!;
    expect(country.cost).toEqual([
      { measure: 'pure', epsilon: 0.5 },
      { measure: 'approx', epsilon: 0.5, delta: 1e-6 },
    ]);
    const pageviews = plans.find((p) => p.name === 'pageviews_per_device')!;
    expect(pageviews.cost).toEqual([
      { measure: 'pure', epsilon: 0.5 },
      { measure: 'pure', epsilon: 0.5 },
    ]);
  });

  it('carves the ε of automatic bound selection out of the analysis ε, so a release costs what is configured', () => {
    const plans = planAll(parseConfig(DEFAULT_CONFIG_INPUT));
    const country = plans.find((p) => p.name === 'sessions_per_country')!;
    expect(country.epsilon).toBe(1);
    expect(country.selection?.epsilon).toBeCloseTo(0.1, 12);
    expect(country.cost).toEqual([
      { measure: 'pure', epsilon: 0.1 },
      { measure: 'pure', epsilon: 0.45 },
      { measure: 'approx', epsilon: 0.45, delta: 1e-6 },
    ]);
    for (const p of plans) {
      const total = p.cost.reduce((acc, c) => acc + c.epsilon, 0);
      expect(total).toBeCloseTo(p.epsilon, 12);
    }
  });

  it('turns a DP parameter the engine rejects into a one-line user error naming the analysis', () => {
    const weighted: Record<string, unknown> = { ...seedCount, noise: 'gaussian', weight: 1 };
    delete weighted.epsilon;
    const config = parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      budget: { monthly_epsilon_cap: 2, monthly_delta_cap: 0, accounting: 'naive' },
      analyses: [weighted],
    });
    expect(() => planAll(config)).toThrow(UserError);
    expect(() => planAll(config)).toThrow(/^analyses\.0 \(sessions_per_continent\): .*delta/);
  });
});

describe('releases with private partition selection', () => {
  it('releases keys with many users, drops a key of one user, and says absent keys are not zeros', async () => {
    const rows: string[] = [];
    for (let u = 0; u < 400; u++) rows.push(`('u${u}', 's${u}', '${u % 2 === 0 ? 'Germany' : 'France'}')`);
    rows.push(`('lonely', 'sx', 'Liechtenstein')`);
    const file = join(temp.dir, 'countries.parquet');
    await temp.engine
      .run(`COPY (SELECT DATE '2016-08-15' AS date, * FROM (VALUES ${rows.join(', ')}) t(user_pseudonym, session_id, country))
      TO ${sqlString(file)} (FORMAT parquet)`);
    const config = parseConfig(DEFAULT_CONFIG_INPUT);
    const plan = planAnalysis(config.analyses.find((a) => a.name === 'sessions_per_country')!);
    const window = { id: '2016-08', start: '2016-08-01', end: '2016-08-31' };
    const silver = await unrotatedSilver(temp.engine, [file]);
    const releases = await computeReleases(temp.engine, plan, silver, [window], seededRandom('selection'), {
      runId: 'r',
      createdAt: 't',
    });
    const release = releases.get('2016-08')!;
    expect(release.partitions.map((p) => p.key)).toEqual(['France', 'Germany']);
    expect(release.privacy.partition_selection).toMatchObject({
      strategy: 'truncated_geometric',
      delta: 1e-6,
      note: expect.stringMatching(/not a zero/),
    });
    for (const p of release.partitions) expect(Math.abs(p.value - 200)).toBeLessThan(40);
  });
});
