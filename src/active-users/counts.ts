/** Exact pre-noise activity counts (erased users excluded): the activity ledger's interface. */
export type { ActivityCounts } from '../activity/index.js';
