/** The part of `d3-dsv` 3.x (installed with vega) the table tests use: its RFC 4180 CSV parser. */
declare module 'd3-dsv' {
  export function csvParseRows(text: string): string[][];
}
