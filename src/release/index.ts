/**
 * The one release path: every release (monthly analyses, DAU, MAU, series) is checked against the
 * ledger, charged, computed, **recorded** privately (the authority) and published to Gold as a
 * byte-identical copy of its record, which is restored from the record if lost or altered.
 */
export {
  ReleaseService,
  requestKey,
  type ChartSink,
  type ComputeReleases,
  type ReleaseOutcome,
  type ReleaseRequest,
  type ReleaseServiceDeps,
} from './service.js';
export { ReleaseRecords, releaseText, sha256Of, type ReleaseRecord } from './records.js';
export { assertBronzeComplete, DATA_PENDING_RETRY_SECONDS } from './completeness.js';
