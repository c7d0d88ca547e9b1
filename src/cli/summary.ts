import type { RunResult } from '../pipeline/run.js';
import type { Lake } from '../storage/index.js';

const n = (x: number): string => x.toLocaleString('en-US').padStart(10);

/** The short human summary of a run, on stdout. */
export function printRunSummary(
  result: RunResult,
  lake: Lake,
  out: NodeJS.WritableStream = process.stdout,
): void {
  const r = result.report;
  const released = r.releases.filter((x) => x.status === 'released').length;
  const already = r.releases.length - released;
  const lines = [
    `dp-pipeline run ${r.run_id} (${r.blobs.length} new Bronze blob${r.blobs.length === 1 ? '' : 's'})`,
    `  records read ${n(r.totals.records_read)}`,
    `  silver rows  ${n(r.totals.silver)}`,
    `  rejected     ${n(r.totals.rejected)}${r.totals.rejected > 0 ? `   (quarantine/${r.run_id}/…)` : ''}`,
    `  duplicates   ${n(r.totals.duplicates)}`,
    ...(r.totals.erased_dropped > 0
      ? [`  erased       ${n(r.totals.erased_dropped)}   (late lines of erased users, dropped)`]
      : []),
    `  balanced     ${r.totals.balanced ? '       yes' : '        NO'}   (read = silver + rejected + duplicates${r.totals.erased_dropped > 0 ? ' + erased' : ''})`,
    ...(r.erasures.erasures_processed > 0
      ? [`  erasures     ${n(r.erasures.erasures_processed)} processed`]
      : []),
    `  releases     ${n(released)} written, ${already} already released${r.totals.late > 0 ? `, ${r.totals.late} late rows tallied` : ''}`,
    `  ε spent      ${n(r.epsilon_spent)}`,
  ];
  if (result.budgetError) lines.push(`  REFUSED: ${result.budgetError.message}`);
  lines.push(
    'Outputs:',
    `  Gold    ${lake.locate('gold')}/index.json  (releases/<analysis>/<YYYY-MM>.json|.svg|.png)`,
    `  Page    ${lake.locate('gold')}/report.html  (for analysts: trends, charts, intervals, guarantees, budget)`,
    `  Tables  ${lake.locate('gold')}/tables/releases.parquet  (every value; tables/<analysis>.csv|.parquet)`,
    `  Silver  ${lake.locate('silver')}/sessions/`,
    `  Report  ${lake.locate('private')}/${result.reportKey}`,
  );
  out.write(lines.join('\n') + '\n');
}
