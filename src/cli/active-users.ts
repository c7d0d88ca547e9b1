import { ActiveUsers, type ActiveAnswer, type ActiveBudgetState } from '../active-users/index.js';
import { openActivity, type ActivityLedger } from '../activity/index.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../log.js';
import { openLake } from './lake.js';

/** The DAU/MAU service for one CLI command; `close()` releases the activity ledger if it was opened. */
export async function openActiveUsers(opts: {
  lake: string;
  config?: string;
}): Promise<{ users: ActiveUsers; close: () => void }> {
  const lake = openLake(opts);
  const config = await loadConfig(opts.config);
  let ledger: ActivityLedger | undefined;
  const users = new ActiveUsers({
    lake,
    config,
    clock: () => new Date(),
    counts: async () => (ledger = await openActivity(lake)),
    log: createLogger(),
  });
  return { users, close: () => ledger?.close() };
}

/**
 * One DAU/MAU command's answer: opens the service, asks it, prints the release JSON (`--json`)
 * or one {@link answerLine} labelled by `label`, and releases the activity ledger.
 */
export async function printActiveAnswer(
  opts: { lake: string; config?: string; json?: boolean },
  ask: (users: ActiveUsers) => Promise<ActiveAnswer>,
  label: (answer: ActiveAnswer) => string,
): Promise<void> {
  const { users, close } = await openActiveUsers(opts);
  try {
    const a = await ask(users);
    process.stdout.write(
      opts.json
        ? JSON.stringify(a.release, null, 2) + '\n'
        : answerLine(label(a), a, openLake(opts).locate('gold')) + '\n',
    );
  } finally {
    close();
  }
}

const fmt = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 6 });

/** `DAU 2016-08-01: 2,345 (95% CI 2,336 to 2,354), ε = 0.3, new release; dau budget 2016-08: ε 0.3 of 3 spent → gold/…` */
function answerLine(label: string, a: ActiveAnswer, goldRoot: string): string {
  const r = a.release;
  const budget = `${a.budget.metric} budget ${a.budget.period}: ε ${fmt(a.budget.epsilonSpent)} of ${fmt(a.budget.epsilonCap)} spent`;
  const how = a.reused
    ? 'already released, nothing spent'
    : `new release, ε charged ${fmt(a.epsilonCharged)}`;
  const delta = r.privacy.delta > 0 ? `, δ = ${r.privacy.delta}` : '';
  const where = `${goldRoot}/${a.path}`;
  if (r.partitions.length === 1) {
    const p = r.partitions[0]!;
    return `${label}: ${fmt(p.value)} (95% CI ${fmt(p.ci95[0])} to ${fmt(p.ci95[1])}), ε = ${r.privacy.epsilon}${delta}; ${how}; ${budget} → ${where}`;
  }
  const values = r.partitions.map((p) => p.value);
  return `${label}: ${r.partitions.length} days, ${fmt(Math.min(...values))} to ${fmt(Math.max(...values))}, ε = ${r.privacy.epsilon}${delta} for the whole series; ${how}; ${budget} → ${where}`;
}

export function budgetLine(s: ActiveBudgetState): string {
  return (
    `${s.metric} ${s.period}: ε ${fmt(s.epsilonSpent)} of ${fmt(s.epsilonCap)} spent, ${fmt(s.epsilonRemaining)} remaining, ` +
    `${s.releaseCount} release(s) (δ = ${s.delta}, ${s.composition === 'sum' ? 'ε summed' : 'composed in zCDP'}); next month from ${s.nextReset}`
  );
}
