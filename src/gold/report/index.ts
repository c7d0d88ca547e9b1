/**
 * The analysts' page, `gold/report.html`: built from the release records, their charts and the
 * budget ledger, self-contained (inline CSS, JS, SVG).
 *
 * @example
 * ```ts
 * import { writeGoldReport } from '../gold/report/index.js';
 * await writeGoldReport(lake.objects('gold'), new PrivacyLedger(lake.tables('budget'), config), new Date(), records);
 * ```
 */
export { writeGoldReport } from './build.js';
export { renderReport, type BudgetRow, type ReportInput, type ReportRelease } from './render-report.js';
export { plainGuarantee } from './guarantee.js';
export { escapeHtml } from './html.js';
