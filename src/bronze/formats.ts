/** How a Bronze object is read, from its name. */
export type BronzeFormat = 'ndjson' | 'json' | 'unsupported';

/** Prefix reserved for erasure requests (handled by the erasure flow, not as sessions). */
export const ERASURE_PREFIX = 'erasures/';

/**
 * `*.ndjson`, `*.jsonl` (one JSON object per line) and `*.json` (an array, or one object),
 * each optionally gzip-compressed (`.gz`; compression is detected from the bytes, not the name).
 */
export function bronzeFormat(key: string): BronzeFormat {
  const name = key.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.json')) return 'json';
  return 'unsupported';
}

/** Whether a Bronze object holds session records a run ingests (not an erasure request, a known format). */
export function holdsSessions(key: string): boolean {
  return !key.startsWith(ERASURE_PREFIX) && bronzeFormat(key) !== 'unsupported';
}
