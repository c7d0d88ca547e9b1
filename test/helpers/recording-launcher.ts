import { LaunchError, type JobLauncher, type LaunchRequest } from '../../src/pipeline/launch/index.js';

/** A launcher that only records what it was asked to start (for tests whose subject is the scan). */
export class RecordingLauncher implements JobLauncher {
  readonly kind = 'local';
  readonly started: LaunchRequest[] = [];
  constructor(private readonly behaviour: 'ok' | 'fail' = 'ok') {}
  async start(request: LaunchRequest): Promise<{ execution: string }> {
    await new Promise((r) => setTimeout(r, 5));
    if (this.behaviour === 'fail') throw new LaunchError('ARM said 403');
    this.started.push(request);
    return { execution: `exec-${this.started.length}` };
  }
}
