import { DpPipelineError } from '../../errors.js';

/** What a launcher is asked to start: one job execution for a claim. */
export interface LaunchRequest {
  /** The scan's claim; the job runs `dp-pipeline run --claim <id>` and releases it when done. */
  readonly claimId: string;
  /** Object key (in `private`) of the manifest listing the Bronze blobs pending at scan time. */
  readonly manifestKey: string;
}

export interface LaunchResult {
  /** The execution's identifier (Container Apps execution name, or `local-<pid>`). */
  readonly execution: string;
}

/**
 * Starts one execution of the pipeline job. Throws when it could not be started, so the scan
 * releases its claim and the blobs stay pending for the next scan.
 */
export interface JobLauncher {
  readonly kind: 'local' | 'container-apps';
  start(request: LaunchRequest, options?: { abortSignal?: AbortSignal }): Promise<LaunchResult>;
}

/** The job could not be started (or, for the local launcher, ran and failed). */
export class LaunchError extends DpPipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LAUNCH_FAILED', message, options);
  }
}
