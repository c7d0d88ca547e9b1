/** Why a Bronze record did not reach Silver. Codes are stable; reasons are for people. */
export type RejectionCode =
  | 'empty_blob'
  | 'corrupt_gzip'
  | 'line_too_long'
  | 'invalid_utf8'
  | 'control_character'
  | 'blob_too_large'
  /** No longer produced (`.json` blobs are streamed); kept so older run reports still decode. */
  | 'json_too_large'
  | 'not_json'
  | 'not_object'
  | 'missing_field'
  | 'invalid_integer'
  | 'invalid_date'
  | 'invalid_enum'
  | 'out_of_range';

/** One quarantined record. `line` is 1-based in the (decompressed) blob; null for whole-blob problems. */
export interface Rejection {
  readonly line: number | null;
  readonly reason_code: RejectionCode;
  readonly reason: string;
  /** The raw line (cut to 4 KiB for oversize lines), or null when nothing could be read. */
  readonly raw: string | null;
}

export const RAW_EXCERPT_BYTES = 4096;
