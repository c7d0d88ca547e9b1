/**
 * Tabular Gold: every release as rows (long format), as CSV and Parquet per analysis and one
 * Parquet file for all, rebuilt from the release records (`dp-pipeline/table@1`).
 *
 * @example
 * ```ts
 * import { writeGoldTables } from '../gold/tables/index.js';
 * await writeGoldTables(lake.objects('gold'), records);
 * ```
 */
export { writeGoldTables, type GoldTablesWritten } from './write.js';
export { tableRows, type WindowedRelease } from './rows.js';
export { tableCsv, csvField } from './csv.js';
export { writeTableParquet } from './parquet.js';
export { TABLE_COLUMNS, TABLE_SCHEMA, tableRowSchema, type TableRow } from './schema.js';
