import type { RejectionCode } from '../bronze/rejection.js';
import type { FlushResult } from '../erasure/index.js';

/** Per-blob tallies: `records = silver + rejected + duplicates + erased`. */
export interface BlobTally {
  readonly key: string;
  readonly etag: string;
  readonly records: number;
  readonly silver: number;
  readonly rejected: number;
  readonly duplicates: number;
  /** Lines of users erased before they arrived: dropped, and the Bronze blob rewritten without them. */
  readonly erased: number;
}

export interface ReleaseSummary {
  readonly analysis: string;
  readonly window: string;
  readonly status: 'released' | 'already_released';
  readonly epsilon: number;
  readonly path: string;
}

/**
 * The run report, `private/runs/<run>.json`: raw tallies, never in Gold. Written once Silver and
 * quarantine are in place (this write commits the run), then completed with the Gold phase.
 */
export interface RunReport {
  readonly schema: 'dp-pipeline/run-report@1';
  readonly run_id: string;
  status: 'committed' | 'completed' | 'budget_exhausted';
  readonly started_at: string;
  finished_at: string | null;
  readonly lake: string;
  readonly totals: {
    readonly records_read: number;
    readonly silver: number;
    readonly rejected: number;
    readonly duplicates: number;
    /** Lines of already-erased users, dropped on arrival. */
    readonly erased_dropped: number;
    /** `records_read === silver + rejected + duplicates + erased_dropped`, checked, never assumed. */
    readonly balanced: boolean;
    /** Silver rows whose month had already been released (tallied, not re-released). */
    late: number;
  };
  /** Erasure requests processed at the start of this run (counts only). */
  readonly erasures: FlushResult;
  readonly rejected_by_reason: Partial<Record<RejectionCode, number>>;
  readonly ignored_blobs: readonly { key: string; etag: string; reason: string }[];
  readonly blobs: readonly BlobTally[];
  readonly silver_dates: readonly string[];
  releases: ReleaseSummary[];
  epsilon_spent: number;
  timings_ms: Record<string, number>;
}
