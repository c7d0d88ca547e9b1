import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { PrivacyLedger } from '../../src/ledger/index.js';
import { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { checkGoldContract } from '../helpers/gold-contract.js';
import { tempLake } from '../helpers/lake.js';

// End to end on the GA360 sample shipped in the repo (examples/, 2016-08, 74,759 sessions).
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempLake()));
afterAll(() => cleanup());

const goldFile = (rel: string): Promise<string> => readFile(join(dir, 'gold', rel), 'utf8');

describe('dp-pipeline run on the shipped sample', () => {
  let first: ReturnType<typeof runCli>;
  beforeAll(() => {
    first = runCli(['run', '--lake', dir, '--with-sample']);
  });

  it('processes every record, balances, and releases every default analysis for 2016-08', async () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/records read\s+74,759/);
    expect(first.stdout).toMatch(/balanced\s+yes/);
    expect(first.stdout).toMatch(/releases\s+4 written/);
    await checkGoldContract(join(dir, 'gold')); // index and releases match schemas/*.schema.json
    const index = JSON.parse(await goldFile('index.json')) as {
      releases: { analysis: string; json: string }[];
    };
    expect(index.releases.map((r) => r.analysis).sort()).toEqual([
      'avg_session_duration_per_device',
      'pageviews_per_device',
      'sessions_per_continent',
      'sessions_per_country',
    ]);
    const count = JSON.parse(await goldFile('releases/sessions_per_continent/2016-08.json'));
    expect(count).toMatchObject({
      schema: 'dp-pipeline/release@1',
      statistic: 'count',
      privacy_unit: 'user',
      window: { start: '2016-08-01', end: '2016-08-31' },
      privacy: { epsilon: 1, delta: 0, mechanism: 'discrete_laplace' },
      estimand: 'number of sessions per continent',
    });
    // Bounds chosen privately for the month with 10% of its ε, stated as public parameters.
    const chosen = count.privacy.bounds_selection;
    expect(chosen.epsilon).toBeCloseTo(0.1, 12);
    expect(chosen.chosen).toEqual({
      max_partitions_contributed: count.privacy.max_partitions_contributed,
      max_contributions_per_partition: count.privacy.max_contributions_per_partition,
    });
    // Visitors with several sessions a month are counted in full, or nearly.
    expect(chosen.chosen.max_contributions_per_partition).toBeGreaterThan(1);
    expect(chosen.clipped_share).toBeLessThan(0.05);
    expect(count.guarantee).toMatch(/chosen privately .* ε = 0\.1 of that ε/);
    expect(count.partitions.map((p: { key: string }) => p.key).sort()).toEqual(
      ['(not set)', 'Africa', 'Americas', 'Asia', 'Europe', 'Oceania'].sort(),
    );
    for (const p of count.partitions) {
      expect(Number.isInteger(p.value)).toBe(true);
      expect(p.ci95[0]).toBeLessThanOrEqual(p.value);
      expect(p.ci95[1]).toBeGreaterThanOrEqual(p.value);
    }
    const mean = JSON.parse(await goldFile('releases/avg_session_duration_per_device/2016-08.json'));
    expect(mean.privacy).toMatchObject({ unit: 'ms' });
    expect(mean.estimand).toMatch(/mean time_on_site_ms per session .*without time_on_site_ms counted as 0/);
    const [lo, hi] = mean.privacy.bounds as [number, number];
    expect(lo).toBe(0);
    // The clamp was chosen above GA's old 10-minute cap: long sessions are no longer thrown away.
    expect(hi).toBeGreaterThan(600000);
    expect(mean.privacy.bounds_selection.chosen.bounds).toEqual([lo, hi]);
    for (const p of mean.partitions) {
      expect(p.value).toBeGreaterThanOrEqual(0);
      expect(p.value).toBeLessThanOrEqual(hi);
    }
    const pageviews = JSON.parse(await goldFile('releases/pageviews_per_device/2016-08.json'));
    expect(pageviews).toMatchObject({ statistics: ['mean', 'quantiles'], outputs: ['mean', 'p50', 'p90'] });
    expect(Object.keys(pageviews.privacy.statistics)).toEqual(['mean', 'p50', 'p90']);
    for (const p of pageviews.partitions) {
      expect(Object.keys(p.statistics)).toEqual(['mean', 'p50', 'p90']);
      expect(p.statistics.mean.value).toBe(p.value);
      // Median ≤ p90 within the bounds; every interval holds its value.
      expect(p.statistics.p50.value).toBeLessThanOrEqual(p.statistics.p90.value);
      for (const out of Object.values(p.statistics) as { value: number; ci95: [number, number] }[]) {
        expect(out.value).toBeGreaterThanOrEqual(0);
        expect(out.value).toBeLessThanOrEqual(pageviews.privacy.bounds[1]);
        expect(out.ci95[0]).toBeLessThanOrEqual(out.value);
        expect(out.ci95[1]).toBeGreaterThanOrEqual(out.value);
      }
    }
    const countries = JSON.parse(await goldFile('releases/sessions_per_country/2016-08.json'));
    expect(countries.privacy.partition_selection.note).toMatch(/not a zero/);
    expect(countries.partitions.length).toBeGreaterThan(20);
    expect(countries.partitions.map((p: { key: string }) => p.key)).toContain('United States');
    expect(
      (await readFile(join(dir, 'gold/releases/sessions_per_continent/2016-08.png')))
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect(await goldFile('releases/sessions_per_continent/2016-08.svg')).toContain('<svg');
  });

  it('keeps Gold free of ids and raw tallies', async () => {
    const texts = await Promise.all(
      [
        'index.json',
        'releases/sessions_per_continent/2016-08.json',
        'releases/avg_session_duration_per_device/2016-08.json',
      ].map(goldFile),
    );
    for (const t of texts) {
      expect(t).not.toMatch(/fullVisitorId|user_pseudonym|raw|records_read/);
      expect(t).not.toContain('895954260133011192'); // a real visitor id of the sample
    }
  });

  it('writes a run report that proves records read = silver + rejected + duplicates', async () => {
    const runId = /run (\S+)/.exec(first.stdout)![1]!;
    const report = JSON.parse(await readFile(join(dir, 'private', 'runs', `${runId}.json`), 'utf8'));
    expect(report.totals.records_read).toBe(74759);
    expect(report.totals.records_read).toBe(
      report.totals.silver + report.totals.rejected + report.totals.duplicates,
    );
    expect(report.blobs).toHaveLength(31);
    expect(report.status).toBe('completed');
  });

  it('re-running adds nothing, changes no release and spends nothing', async () => {
    const before = await goldFile('releases/sessions_per_continent/2016-08.json');
    const again = runCli(['run', '--lake', dir, '--with-sample']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\(0 new Bronze blobs\)/);
    expect(again.stdout).toMatch(/releases\s+0 written, 4 already released/);
    expect(again.stdout).toMatch(/ε spent\s+0/);
    expect(await goldFile('releases/sessions_per_continent/2016-08.json')).toBe(before);
  });

  it('explains the plan', () => {
    const r = runCli(['explain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sessions_per_continent');
    expect(r.stdout).toMatch(/Budget: each month's releases spend ε = 4 of a monthly cap of ε = 4/);
    expect(r.stdout).toMatch(/Per-person monthly total: .*capped at ε = 8, δ = 0\.00001/);
    expect(r.stdout).toMatch(/ {2}the analyses' monthly releases: ε = 4, δ = 0\.000001 \(naive\) — fits/);
  });

  it('explain --utility suggests bounds from Silver and charges its ε to the "utility" budget', async () => {
    const r = runCli(['explain', '--utility', '--utility-epsilon', '0.3', '--lake', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Utility analysis of 2016-08 .*ε = 0\.3 charged to budget metric "utility"/);
    expect(r.stdout).toMatch(
      /L0 +configured auto, keeps all partitions of ≈\d+\.\d% of users; suggested \d+/,
    );
    expect(r.stdout).toMatch(/time_on_site_ms upper bound configured auto/);
    const month = await new PrivacyLedger(new FsLake(dir).tables('budget'), await loadConfig()).state(
      '2016-08',
    );
    expect(month.metrics.utility).toMatchObject({ epsilonSpent: 0.3, releaseCount: 1 });
    // The analyses' own budget is untouched by it; the month's per-person total holds both.
    expect(month.metrics.analyses.epsilonSpent).toBe(4);
    expect(month.total).toMatchObject({ epsilonSpent: 4.3, releaseCount: 5, epsilonCap: 8 });
  });
});

describe('dp-pipeline errors', () => {
  it('rejects a bad config with one line naming the field, exit 1', async () => {
    const { dir: d, cleanup: c } = await tempLake();
    try {
      const file = join(d, 'bad.json');
      await writeFile(
        file,
        JSON.stringify({
          version: 1,
          budget: { monthly_epsilon_cap: 4 },
          analyses: [{ name: 'x', statistic: 'count' }],
        }),
      );
      const r = runCli(['run', '--lake', d, '--config', file]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^dp-pipeline: .*bad\.json: analyses\.0\.\w+/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const missing = runCli(['run', '--lake', d, '--config', join(d, 'nope.json')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/cannot read config file .*nope\.json/);
      const flags = runCli(['generate', '--out', d, '--days', 'x', '--users', '1', '--seed', 's']);
      expect(flags.code).toBe(1);
      expect(flags.stderr).toContain("--days must be a positive integer, got 'x'");
    } finally {
      await c();
    }
  });

  it('refuses releases over the monthly budget cap with exit 3 and writes no Gold', async () => {
    const { dir: d, cleanup: c } = await tempLake();
    try {
      const file = join(d, 'tight.json');
      const { DEFAULT_CONFIG_INPUT } = await import('../../src/config/index.js');
      await writeFile(
        file,
        JSON.stringify({ ...DEFAULT_CONFIG_INPUT, budget: { monthly_epsilon_cap: 1.5 } }),
      );
      const r = runCli(['run', '--lake', d, '--with-sample', '--config', file]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        /privacy budget exhausted for analyses in 2016-08: spent ε=0 of cap 1\.5; the requested release\(s\) need ε=4 more/,
      );
      const gold = await readFile(join(d, 'gold', 'index.json'), 'utf8').catch(() => null);
      expect(gold).toBeNull();
      // Silver was still committed: a second run with enough budget releases without re-reading Bronze.
      const ok = runCli(['run', '--lake', d]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/releases\s+4 written/);
    } finally {
      await c();
    }
  });
});
