import { DuckDBDecimalValue } from '@duckdb/node-api';
import type { Engine } from '../../src/engine/duckdb.js';
import type { SparkSqlEngine } from '../../src/engine/databricks.js';

/**
 * The explicit rewrite that lets DuckDB run the Spark bounding text, so that text's semantics
 * are checked against dp's reference bounder. Exactly two differences are rewritten, outside
 * string literals ('…') and backquoted names (`…`):
 * 1. a named parameter marker `:name` becomes DuckDB's `$name`;
 * 2. a Parquet path table `parquet.\`<path>\`` becomes `read_parquet('<path>')`.
 * Everything else in the Spark text (md5, ||, row_number/dense_rank with ORDER BY, CAST to
 * STRING/BIGINT/DOUBLE/DECIMAL(38,0), least/greatest/floor, DATE literals, UNION ALL, ORDER BY …
 * NULLS FIRST) is run by DuckDB as written.
 */
export function sparkToDuckdb(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '`') {
      const end = closingQuote(sql, i);
      out += sql.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const param = /^:([A-Za-z_]\w*)/.exec(sql.slice(i));
    if (param && sql[i - 1] !== ':') {
      out += `$${param[1]}`;
      i += param[0].length;
      continue;
    }
    if (/^parquet\.`/i.test(sql.slice(i, i + 9)) && !/\w/.test(sql[i - 1] ?? '')) {
      const start = i + 8;
      const end = closingQuote(sql, start);
      const path = sql.slice(start + 1, end).replace(/``/g, '`');
      out += `read_parquet('${path.replace(/'/g, "''")}')`;
      i = end + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Index of the quote closing the literal that opens at `start` (a doubled quote is an escape). */
function closingQuote(sql: string, start: number): number {
  const q = sql[start]!;
  let i = start + 1;
  for (;;) {
    const j = sql.indexOf(q, i);
    if (j < 0) throw new Error(`unterminated ${q} literal at ${start}`);
    if (sql[j + 1] === q) {
      i = j + 2;
      continue;
    }
    return j;
  }
}

/**
 * DuckDB behind the {@link SparkSqlEngine} interface: runs Spark text through
 * {@link sparkToDuckdb} and returns rows as the Databricks driver does with
 * `preserveBigNumericPrecision` (DECIMAL as exact strings, BIGINT as bigint).
 */
export function duckdbAsSpark(engine: Engine): SparkSqlEngine & { readonly statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    async query(sql, parameters) {
      statements.push(sql);
      const rows = await engine.all<Record<string, unknown>>(sparkToDuckdb(sql), { ...parameters });
      return rows.map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, v instanceof DuckDBDecimalValue ? v.toString() : v]),
        ),
      );
    },
    close: () => Promise.resolve(),
  };
}
