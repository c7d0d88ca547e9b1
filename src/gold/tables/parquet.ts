import { randomBytes } from 'node:crypto';
import { sqlString, type Engine } from '../../engine/duckdb.js';
import { TABLE_COLUMNS, TABLE_SCHEMA, type TableRow } from './schema.js';

type Column = (typeof TABLE_COLUMNS)[number];

/** Parquet type of each column: dates as DATE, numbers as DOUBLE, everything else VARCHAR. */
const PARQUET_TYPES: Readonly<Record<Column, 'VARCHAR' | 'DATE' | 'DOUBLE'>> = {
  release_id: 'VARCHAR',
  analysis: 'VARCHAR',
  description: 'VARCHAR',
  window_start: 'DATE',
  window_end: 'DATE',
  partition_by: 'VARCHAR',
  partition_key: 'VARCHAR',
  statistic: 'VARCHAR',
  value: 'DOUBLE',
  ci95_lower: 'DOUBLE',
  ci95_upper: 'DOUBLE',
  unit: 'VARCHAR',
  epsilon: 'DOUBLE',
  delta: 'DOUBLE',
  mechanism: 'VARCHAR',
};

/**
 * Writes the rows to a local Parquet file with DuckDB (Snappy, which every Parquet reader
 * decodes), in the given order, with `schema = dp-pipeline/table@1` in the file's key-value
 * metadata. Doubles go in through DuckDB's appender, so they are stored bit for bit.
 *
 * @example
 * ```ts
 * await writeTableParquet(engine, rows, join(scratch.dir, 'releases.parquet'));
 * ```
 */
export async function writeTableParquet(
  engine: Engine,
  rows: readonly TableRow[],
  path: string,
): Promise<void> {
  const table = `gold_table_${randomBytes(8).toString('hex')}`;
  // Dates are staged as text and cast once in the COPY: the appender's DATE needs a day number.
  const staged = TABLE_COLUMNS.map((c) => `${c} ${PARQUET_TYPES[c] === 'DOUBLE' ? 'DOUBLE' : 'VARCHAR'}`);
  await engine.run(`CREATE TEMP TABLE ${table} (seq INTEGER, ${staged.join(', ')})`);
  try {
    const appender = await engine.connection.createAppender(table);
    try {
      rows.forEach((row, seq) => {
        appender.appendInteger(seq);
        for (const c of TABLE_COLUMNS) {
          const v = row[c];
          if (v === null) appender.appendNull();
          else if (typeof v === 'number') appender.appendDouble(v);
          else appender.appendVarchar(v);
        }
        appender.endRow();
      });
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    const select = TABLE_COLUMNS.map((c) => (PARQUET_TYPES[c] === 'DATE' ? `CAST(${c} AS DATE) AS ${c}` : c));
    await engine.run(
      `COPY (SELECT ${select.join(', ')} FROM ${table} ORDER BY seq) TO ${sqlString(path)} ` +
        `(FORMAT parquet, COMPRESSION snappy, KV_METADATA {schema: ${sqlString(TABLE_SCHEMA)}})`,
    );
  } finally {
    await engine.run(`DROP TABLE IF EXISTS ${table}`);
  }
}
