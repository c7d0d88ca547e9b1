import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monthWindow, planAll, planAnalysis } from '../../src/analyses/index.js';
import { boundedAggregates } from '../../src/analyses/release.js';
import { suggestBounds } from '../../src/analyses/utility.js';
import { DEFAULT_CONFIG_INPUT, loadConfig, parseConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { sqlString } from '../../src/engine/duckdb.js';
import { UserError } from '../../src/errors.js';
import { unboundedTruthSql } from '../../src/evaluate/truth-sql.js';
import { CommittedView } from '../../src/lake/index.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { rotateKey } from '../../src/silver/key-ring.js';
import { openSilverSource, readSilver, type SilverSource } from '../../src/silver/silver-source.js';
import type { FsLake } from '../../src/storage/index.js';
import { gaLine, tempLake, useTempEngine } from '../helpers/lake.js';
import { silverRows } from '../helpers/silver.js';

const temp = useTempEngine();

/**
 * A Silver-like file of `(date, user_pseudonym, key_version, user_link)` rows, `user_link` as
 * ingest writes it (only where it is not the pseudonym); `link: false` leaves the column out, as
 * Silver written before links were kept.
 */
async function writeFile(
  name: string,
  rows: readonly (readonly [date: string, pseudonym: string, version: string, link: string])[],
  options: { link: boolean } = { link: true },
): Promise<string> {
  const file = join(temp.dir, name);
  const values = rows
    .map(
      ([date, pseudonym, version, link]) =>
        `(DATE '${date}', 's-${pseudonym}-${date}', ${sqlString(pseudonym)}, ${sqlString(version)}, ${sqlString(link)})`,
    )
    .join(', ');
  await temp.engine
    .run(`COPY (SELECT * ${options.link ? 'REPLACE (nullif(user_link, user_pseudonym) AS user_link)' : 'EXCLUDE (user_link)'}
    FROM (VALUES ${values}) t(date, session_id, user_pseudonym, key_version, user_link)) TO ${sqlString(file)} (FORMAT parquet)`);
  return file;
}

/** The distinct privacy units of `silver`'s rows. */
async function units(silver: SilverSource): Promise<string[]> {
  const rows = await temp.engine.all<{ u: string }>(
    `SELECT DISTINCT ${silver.unit} AS u FROM ${silver.relation} ORDER BY u`,
  );
  return rows.map((r) => r.u);
}

describe('reading Silver per person (the privacy unit across key versions)', () => {
  it('names a person by their link on rows under a later key version, and counts the rows from the footers', async () => {
    const a = await writeFile('linked-a.parquet', [
      ['2016-08-01', 'p1', 'v1', 'p1'],
      ['2016-08-02', 'p2', 'v1', 'p2'],
    ]);
    const b = await writeFile('linked-b.parquet', [['2016-08-20', 'q1', 'v2', 'p1']]);
    const silver = await openSilverSource(temp.engine, [a, b], { linkVersion: 'v1' });
    expect(silver).toMatchObject({ unit: 'coalesce(user_link, user_pseudonym)', rows: 3 });
    expect(silver.relation).not.toContain('union_by_name');
    expect(await units(silver)).toEqual(['p1', 'p2']);
  });

  it('reads the pseudonym of files written before the link was kept when all their rows are under v1', async () => {
    const a = await writeFile(
      'legacy-a.parquet',
      [
        ['2016-08-01', 'p1', 'v1', 'p1'],
        ['2016-08-02', 'p2', 'v1', 'p2'],
      ],
      { link: false },
    );
    const legacy = await openSilverSource(temp.engine, [a], { linkVersion: 'v1' });
    expect(legacy).toMatchObject({ unit: 'user_pseudonym', rows: 2 });
    expect(await units(legacy)).toEqual(['p1', 'p2']);
    // Next to files with links: matched by column name.
    const b = await writeFile('linked-c.parquet', [['2016-08-20', 'q1', 'v2', 'p1']]);
    const mixed = await openSilverSource(temp.engine, [a, b], { linkVersion: 'v1' });
    expect(mixed.unit).toBe('coalesce(user_link, user_pseudonym)');
    expect(mixed.relation).toContain('union_by_name = true');
    expect(await units(mixed)).toEqual(['p1', 'p2']);
  });

  it('refuses a file without links holding rows under a later key version, naming it and saying to reprocess Bronze', async () => {
    const a = await writeFile('legacy-ok.parquet', [['2016-08-01', 'p1', 'v1', 'p1']], { link: false });
    const b = await writeFile(
      'legacy-v2.parquet',
      [
        ['2016-08-20', 'q1', 'v2', 'p1'],
        ['2016-08-21', 'q2', 'v2', 'p2'],
      ],
      { link: false },
    );
    const opening = openSilverSource(temp.engine, [a, b], {
      linkVersion: 'v1',
      names: [
        'silver/sessions/date=2016-08-01/part-a.parquet',
        'silver/sessions/date=2016-08-20/part-b.parquet',
      ],
    });
    await expect(opening).rejects.toThrow(UserError);
    const message = await opening.catch((e: Error) => e.message);
    expect(message).toMatch(
      /^silver\/sessions\/date=2016-08-20\/part-b\.parquet: rows under key version v2 but no user_link column .*reprocess Bronze into a fresh lake$/,
    );
    expect(message).not.toContain('\n');
  });
});

/** Unix seconds of `day` (YYYY-MM-DD) plus `s`, as GA360 `visitId`/`visitStartTime`. */
const at = (day: string, s: number): string => String(Date.parse(`${day}T00:00:00Z`) / 1000 + s);
const ymd = (day: string): string => day.replace(/-/g, '');

describe('a key rotation inside a month does not split a person', () => {
  let lake: FsLake;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ lake, cleanup } = await tempLake()));
  afterEach(() => cleanup());

  const VISITORS = 40;

  /** Each visitor: one session on `day` from Germany on desktop, lasting 60 s. */
  async function visits(blob: string, day: string): Promise<void> {
    const lines = Array.from({ length: VISITORS }, (_, i) =>
      gaLine({ user: `90000${i}`, visit: at(day, i), date: ymd(day), timeOnSite: '60' }),
    );
    await lake.objects('bronze').write(blob, lines.join('\n') + '\n');
  }

  it('counts each visitor once in bounded totals, distinct users, utility histograms and the truth', async () => {
    const config = await loadConfig();
    await visits('first-half.ndjson', '2016-08-05');
    await runPipeline({ lake, config, now: new Date('2016-08-10T00:00:00Z') });
    await rotateKey(lake, '2016-08-16', { latestSilverDate: '2016-08-05', env: {} });
    await visits('second-half.ndjson', '2016-08-20');
    await runPipeline({ lake, config, now: new Date('2016-08-25T00:00:00Z') });

    // Silver holds each visitor under two pseudonyms (v1 before the 16th, v2 after) and one link.
    const rows = await silverRows(lake);
    expect(rows).toHaveLength(2 * VISITORS);
    expect(new Set(rows.map((r) => r.user_pseudonym)).size).toBe(2 * VISITORS);
    expect(new Set(rows.map((r) => r.user_link ?? r.user_pseudonym)).size).toBe(VISITORS);
    // The link is kept only where it is not the pseudonym: on the rows under v2.
    expect(rows.filter((r) => r.user_link !== null).map((r) => r.key_version)).toEqual(
      Array(VISITORS).fill('v2'),
    );

    const keys = await (await CommittedView.open(lake)).files('silver');
    const silver = await readSilver(lake, temp.engine, keys, join(temp.dir, 'rotation-silver'));
    expect(silver.unit).toBe('coalesce(user_link, user_pseudonym)');
    const window = monthWindow('2016-08');
    const byName = new Map(planAll(config).map((p) => [p.name, p]));
    // L0 = Linf = 1: each person keeps one session, so the bounded count is the number of persons.
    const continent = await boundedAggregates(
      temp.engine,
      byName.get('sessions_per_continent')!,
      silver,
      [window],
      seededRandom('rotation-continent'),
    );
    expect(continent.get('2016-08')!.get('Europe')).toMatchObject({
      count: BigInt(VISITORS),
      users: BigInt(VISITORS),
    });
    // Private partition selection decides on the distinct users of a key: persons, not pseudonyms.
    const country = await boundedAggregates(
      temp.engine,
      byName.get('sessions_per_country')!,
      silver,
      [window],
      seededRandom('rotation-country'),
    );
    expect(country.get('2016-08')!.get('Germany')!.users).toBe(BigInt(VISITORS));

    // Utility histograms: every person has 2 sessions in their one partition (noise negligible at ε = 30).
    const duration = byName.get('avg_session_duration_per_device')!;
    const suggestion = await suggestBounds(temp.engine, duration, silver, window, 30, seededRandom('u'));
    expect(suggestion).toMatchObject({ maxPartitionsContributed: 1, maxContributionsPerPartition: 2 });

    // Evaluation's raw privacy-id count counts persons too.
    const ids = planAnalysis({
      ...parseConfig(DEFAULT_CONFIG_INPUT).analyses[0]!,
      name: 'visitors_per_continent',
      statistics: ['privacy_id_count'],
    });
    const truth = await temp.engine.all<{ pk: string; value: number }>(
      unboundedTruthSql(ids, silver, [window]),
    );
    expect(truth).toEqual([{ w: '2016-08', pk: 'Europe', value: VISITORS }]);
  });
});
