import { app, type EventGridEvent, type InvocationContext, type Timer } from '@azure/functions';
import { scan, type ScanResult } from '../src/pipeline/scan/index.js';
import { functionDeps, type FunctionDeps } from './deps.js';

/** The timer's schedule when `DP_SCAN_SCHEDULE` is not set: every 5 minutes (6-field NCRONTAB). */
export const DEFAULT_SCAN_SCHEDULE = '0 */5 * * * *';

/** Timer trigger: one scan (see `src/pipeline/scan`). Overlapping timers start one job at most. */
export async function scanOnTimer(
  _timer: Timer,
  context: InvocationContext,
  deps: FunctionDeps = functionDeps(),
): Promise<ScanResult> {
  const result = await scan(deps);
  context.log(summary(result));
  return result;
}

/**
 * Event Grid `Microsoft.Storage.BlobCreated` on the bronze container: the same scan, run as
 * soon as a blob lands. Other events (other containers, deletions) are ignored.
 */
export async function scanOnBlobCreated(
  event: EventGridEvent,
  context: InvocationContext,
  deps: FunctionDeps = functionDeps(),
): Promise<ScanResult | undefined> {
  if (event.eventType !== 'Microsoft.Storage.BlobCreated' || !isBronze(event.subject)) {
    context.log(`scan: ignored event ${event.eventType} for ${event.subject}`);
    return undefined;
  }
  const result = await scan(deps);
  context.log(summary(result));
  return result;
}

/** `/blobServices/default/containers/bronze/blobs/<key>` (container name possibly prefixed). */
function isBronze(subject: string): boolean {
  return /\/containers\/[a-z0-9-]*bronze\/blobs\//.test(subject);
}

function summary(r: ScanResult): string {
  return r.started
    ? `scan: started job ${r.execution} for ${r.pending} pending blob(s) (claim ${r.claimId})`
    : `scan: no job started (${r.reason}, ${r.pending} pending)`;
}

/** Registers the scan trigger `DP_TRIGGER` selects: the timer (default) or Event Grid. */
export function registerScan(env: NodeJS.ProcessEnv = process.env): 'timer' | 'eventgrid' {
  if ((env.DP_TRIGGER ?? 'timer') === 'eventgrid') {
    app.eventGrid('scanOnBlobCreated', { handler: (event, context) => scanOnBlobCreated(event, context) });
    return 'eventgrid';
  }
  app.timer('scan', {
    // `%NAME%` is resolved by the host from the app settings.
    schedule: env.DP_SCAN_SCHEDULE ? '%DP_SCAN_SCHEDULE%' : DEFAULT_SCAN_SCHEDULE,
    handler: (timer, context) => scanOnTimer(timer, context),
  });
  return 'timer';
}

registerScan();
