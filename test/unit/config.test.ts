import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, DEFAULT_CONFIG_INPUT, loadConfig, parseConfig } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';

describe('config', () => {
  it('ships config/default.json equal to the built-in config', async () => {
    const { $schema, ...fromFile } = await loadConfig('config/default.json');
    expect($schema).toBe('./schema.json');
    expect(fromFile).toEqual(await loadConfig());
  });

  it('ships config/schema.json equal to the schema the code validates with', async () => {
    expect(JSON.parse(await readFile('config/schema.json', 'utf8'))).toEqual(configJsonSchema());
  });

  it('names the field and the problem in one line', () => {
    const bad = { ...DEFAULT_CONFIG_INPUT, analyses: [{ ...DEFAULT_CONFIG_INPUT.analyses[0], epsilon: -1 }] };
    expect(() => parseConfig(bad, 'my.json')).toThrow(UserError);
    expect(() => parseConfig(bad, 'my.json')).toThrow(/^my\.json: analyses\.0\.epsilon: /);
  });

  it('rejects a mean without bounds, unknown fields and duplicate names', () => {
    const mean = { ...DEFAULT_CONFIG_INPUT.analyses[1], bounds: undefined };
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: [mean] })).toThrow(/analyses\.0\.bounds/);
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, extra: 1 })).toThrow(/extra/);
    const dup = [DEFAULT_CONFIG_INPUT.analyses[0], DEFAULT_CONFIG_INPUT.analyses[0]];
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: dup })).toThrow(/unique/);
  });

  it('refuses an analysis named like the active-user releases or the releases table', () => {
    for (const name of ['dau', 'mau', 'dau_series', 'mau_series', 'releases']) {
      const a = { ...DEFAULT_CONFIG_INPUT.analyses[0], name };
      expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: [a] }, 'c.json')).toThrow(
        new RegExp(`^c\\.json: analyses\\.0\\.name: '${name}' is reserved .*choose another name$`),
      );
    }
    const ok = { ...DEFAULT_CONFIG_INPUT.analyses[0], name: 'dau_by_country' };
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: [ok] })).not.toThrow();
  });

  it('accepts "auto" or fixed bounds, and names the field when "auto" meets a per-user total', () => {
    const mean = DEFAULT_CONFIG_INPUT.analyses[1];
    const parsed = parseConfig(DEFAULT_CONFIG_INPUT).analyses[1]!;
    expect(parsed).toMatchObject({
      bounds: 'auto',
      missing_value: 'zero',
      max_partitions_contributed: 'auto',
      bounds_selection: { epsilon_share: 0.1 },
    });
    const fixed = {
      ...mean,
      bounds: [0, 600000],
      max_partitions_contributed: 1,
      max_contributions_per_partition: 1,
    };
    expect(parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: [fixed] }).analyses[0]).toMatchObject({
      bounds: [0, 600000],
      max_contributions_per_partition: 1,
    });
    const total = { ...mean, max_contributions: 3 };
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: [total] }, 'c.json')).toThrow(
      /^c\.json: analyses\.0\.max_contributions: a per-user total cannot be combined with "auto" bounds/,
    );
    const share = { ...mean, bounds_selection: { epsilon_share: 0.9 } };
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: [share] })).toThrow(
      /analyses\.0\.bounds_selection\.epsilon_share/,
    );
  });
});

describe('analysis config: statistics, partitions and budget', () => {
  const count = DEFAULT_CONFIG_INPUT.analyses[0];
  const mean = DEFAULT_CONFIG_INPUT.analyses[1];
  const withAnalysis = (a: object, budget: object = DEFAULT_CONFIG_INPUT.budget): unknown => ({
    ...DEFAULT_CONFIG_INPUT,
    budget,
    analyses: [a],
  });

  it('still accepts the singular "statistic" form and normalizes it to "statistics"', () => {
    const rest: Record<string, unknown> = { ...mean };
    delete rest.statistics;
    const parsed = parseConfig(withAnalysis({ ...rest, statistic: 'mean' }));
    expect(parsed.analyses[0]!.statistics).toEqual(['mean']);
    expect(parsed.analyses[0]).not.toHaveProperty('statistic');
  });

  it.each([
    [{ ...count, statistic: 'count' }, /analyses\.0\.statistic: give either "statistic" or "statistics"/],
    [{ ...count, statistics: ['count', 'count'] }, /analyses\.0\.statistics: statistics must be distinct/],
    [{ ...count, noise: 'gaussian' }, /analyses\.0\.delta: Gaussian noise needs delta > 0/],
    [{ ...count, statistics: ['quantiles'] }, /analyses\.0\.value: required by quantiles/],
    [
      { ...count, partition_selection: { delta: 1e-6 } },
      /analyses\.0\.public_partitions: give exactly one of public_partitions .* or partition_selection/,
    ],
    [{ ...count, weight: 1 }, /analyses\.0\.epsilon: give exactly one of epsilon or weight/],
    [{ ...count, value: 'pageviews' }, /analyses\.0\.value: only used by/],
    [{ ...mean, quantiles: [0.5] }, /analyses\.0\.quantiles: only used with the "quantiles" statistic/],
  ])('rejects an invalid combination in one line (%#)', (analysis, message) => {
    expect(() => parseConfig(withAnalysis(analysis), 'c.json')).toThrow(message);
    expect(() => parseConfig(withAnalysis(analysis), 'c.json')).toThrow(/^c\.json: [^\n]+$/);
  });

  it('splits what explicit analyses leave of the monthly cap by weight', async () => {
    const { resolveBudgets } = await import('../../src/analyses/index.js');
    const weighted: Record<string, unknown> = { ...mean };
    delete weighted.epsilon;
    const config = parseConfig({
      ...DEFAULT_CONFIG_INPUT,
      budget: { monthly_epsilon_cap: 4, monthly_delta_cap: 0 },
      analyses: [count, { ...weighted, name: 'a', weight: 1 }, { ...weighted, name: 'b', weight: 2 }],
    });
    const budgets = resolveBudgets(config);
    expect(budgets.get('sessions_per_continent')!.epsilon).toBe(1);
    expect(budgets.get('a')!.epsilon).toBeCloseTo(1, 12);
    expect(budgets.get('b')!.epsilon).toBeCloseTo(2, 12);
  });
});
