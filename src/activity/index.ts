/**
 * DAU/MAU under deletions: the private activity ledger (exact distinct users per day and per
 * window, erased users excluded, each user once across key rotations).
 */
export { openActivity, ledgerFiles, type ActivityCounts, type ActivityLedger } from './ledger.js';
export { rebuildActivity } from './rebuild.js';
