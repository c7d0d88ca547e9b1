import { SparkSQL, SparkSqlParserListener } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { boundingPlanOf } from '../../src/analyses/bounding-plan.js';
import { duckdbBoundedSql } from '../../src/analyses/bounded-sql.js';
import { sparkBoundedAggregateSql, sparkBoundedSql } from '../../src/analyses/bounded-spark-sql.js';
import { planAnalysis } from '../../src/analyses/plan.js';
import { DEFAULT_CONFIG_INPUT, parseConfig, type AnalysisConfig } from '../../src/config/index.js';

/** The Spark 3.5 functions the bounding text may call (all in Spark's built-in function list). */
const SPARK_FUNCTIONS = new Set([
  'md5',
  'row_number',
  'dense_rank',
  'count',
  'sum',
  'least',
  'greatest',
  'floor',
  'coalesce',
]);
/** The types it may cast to: Spark's names, none DuckDB-only. */
const SPARK_TYPES = new Set(['STRING', 'BIGINT', 'DOUBLE', 'DECIMAL(38,0)']);
/** Tokens of DuckDB-only syntax that Spark's grammar would still accept somewhere, or that mark a DuckDB idiom. */
const DUCKDB_TOKENS = new Set(['QUALIFY', 'EXCLUDE', 'MATERIALIZED', 'SEMI', '->', '::', '{', '}', '[', ']']);

/**
 * What Spark's grammar (dt-sql-parser's SparkSQL) says of `sql`: its syntax errors, and from the
 * parse tree every function called, type cast to, a `GROUP BY ALL`, and DuckDB-only tokens. A
 * tree walk, not a regex: names inside string literals or paths do not count.
 */
function sparkCheck(sql: string): string[] {
  const parser = new SparkSQL();
  const problems: string[] = [];
  const tree = parser.parse(sql, (e) => problems.push(`syntax: ${e.message} (line ${e.startLine})`));
  if (problems.length > 0) return problems;
  class Collector extends SparkSqlParserListener {
    override enterFunctionName = (ctx: { getText(): string }): void => {
      const name = ctx.getText().toLowerCase();
      if (!SPARK_FUNCTIONS.has(name)) problems.push(`function ${name}`);
    };
    override enterDataType = (ctx: { getText(): string }): void => {
      const type = ctx.getText().toUpperCase();
      if (!SPARK_TYPES.has(type)) problems.push(`type ${type}`);
    };
    override enterGroupByClause = (ctx: { getText(): string }): void => {
      if (ctx.getText().toUpperCase() === 'ALL') problems.push('GROUP BY ALL');
    };
    override visitTerminal(node: { getText(): string }): void {
      const token = node.getText().toUpperCase();
      if (DUCKDB_TOKENS.has(token)) problems.push(`token ${token}`);
    }
  }
  parser.listen(new Collector(), tree);
  return problems;
}

const base = parseConfig(DEFAULT_CONFIG_INPUT).analyses[1]!;
const windows = [
  { index: 0, id: '2016-08', salt: "o'dd|salt-ü" },
  { index: 2, id: 'mid', salt: 'b' },
];
const variants: Record<string, AnalysisConfig> = {
  'count, public keys': { ...parseConfig(DEFAULT_CONFIG_INPUT).analyses[0]! },
  'mean with a total': {
    ...base,
    max_partitions_contributed: 2,
    max_contributions_per_partition: 3,
    max_contributions: 4,
  },
  'sum, variance and quantiles, private keys': {
    ...base,
    statistics: ['sum', 'variance', 'quantiles'],
    quantiles: [0.5, 0.9],
    public_partitions: undefined,
    partition_selection: { delta: 1e-6, strategy: 'truncated_geometric' },
  },
};

describe('the Spark text of the bounding plan is Spark 3.5 SQL', () => {
  for (const [name, config] of Object.entries(variants)) {
    for (const missing of ['exclude', 'zero'] as const) {
      it(`parses with Spark's grammar and uses no DuckDB-only construct (${name}, missing ${missing})`, () => {
        const bp = boundingPlanOf(planAnalysis({ ...config, missing_value: missing }), windows);
        const alone = sparkBoundedSql(bp, 'staged');
        const withFiles = sparkBoundedAggregateSql(
          bp,
          ['device_category', 'time_on_site_ms'],
          {
            uris: [
              'abfss://silver@lake.dfs.core.windows.net/sessions/date=2016-08-01/part-r1.parquet',
              'abfss://silver@lake.dfs.core.windows.net/sessions/date=2016-08-02/part-r1.parquet',
            ],
            unit: 'coalesce(user_link, user_pseudonym)',
          },
          [
            { start: '2016-08-01', end: '2016-08-31' },
            { start: '2016-09-01', end: '2016-09-30' },
            { start: '2016-08-20', end: '2016-09-10' },
          ],
        );
        expect(sparkCheck(alone.sql)).toEqual([]);
        expect(sparkCheck(withFiles.sql)).toEqual([]);
        // Salts are parameters, never in the text.
        expect(alone.parameters).toEqual({ salt_0: "o'dd|salt-ü", salt_2: 'b' });
        expect(alone.sql).not.toContain('salt-ü');
      });
    }
  }

  it("parses with Spark's grammar when each window has its own bounds, total and clamp", () => {
    const config = variants['sum, variance and quantiles, private keys']!;
    const plans = [
      planAnalysis({
        ...config,
        bounds: [0, 600_000],
        max_partitions_contributed: 2,
        max_contributions_per_partition: 3,
        max_contributions: 4,
      }),
      planAnalysis({ ...config, bounds: [0, 1023], max_contributions_per_partition: 8 }),
    ];
    const bp = boundingPlanOf(plans[0]!, windows, (w) => plans[windows.indexOf(w)]!);
    expect(bp.windows.map((w) => [w.l0, w.linf, w.total, w.grid?.hi])).toEqual([
      [2, 3, 4, 600_000],
      [1, 8, undefined, 1023],
    ]);
    const { sql } = sparkBoundedSql(bp, 'staged');
    expect(sparkCheck(sql)).toEqual([]);
    // Each window's bounds are values of the windows relation, not constants of the text.
    expect(sql).toMatch(/CAST\(4 AS BIGINT\) AS total/);
    expect(sql).toMatch(/CAST\(8 AS BIGINT\) AS total/);
  });

  it('finds the DuckDB-only constructs of the DuckDB text (the check can fail)', () => {
    const plan = planAnalysis({ ...base, statistics: ['mean', 'quantiles'], quantiles: [0.5] });
    const duck = duckdbBoundedSql(boundingPlanOf(plan, windows), 'staged');
    expect(sparkCheck(duck).length).toBeGreaterThan(0);
    // Constructs Spark's grammar accepts but Spark 3.5 does not run are still caught by the tree walk.
    expect(sparkCheck('SELECT min_by(a, b, 3), CAST(c AS HUGEINT) FROM t GROUP BY ALL')).toEqual([
      'function min_by',
      'type HUGEINT',
      'GROUP BY ALL',
    ]);
    expect(sparkCheck('SELECT list_transform(a, r -> r + 1) FROM t')).toEqual([
      'function list_transform',
      'token ->',
    ]);
  });
});
