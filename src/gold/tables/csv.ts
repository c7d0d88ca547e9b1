import { TABLE_COLUMNS, type TableRow } from './schema.js';

/**
 * The rows as CSV (RFC 4180): a header line of the column names, CRLF line ends (the last line
 * too), UTF-8 without a byte-order mark. A field is quoted when it holds a comma, a double quote
 * (doubled inside), CR or LF, or starts or ends with a space; null is the empty field. Numbers are
 * JavaScript's shortest decimal that reads back as the same double (`String(x)`).
 *
 * @example
 * ```ts
 * await gold.write('tables/dau.csv', tableCsv(rows), { contentType: 'text/csv; charset=utf-8' });
 * ```
 */
export function tableCsv(rows: readonly TableRow[]): string {
  const lines = [TABLE_COLUMNS.join(',')];
  for (const row of rows) lines.push(TABLE_COLUMNS.map((c) => csvField(row[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** One CSV field (RFC 4180 §2.5–2.7). */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
