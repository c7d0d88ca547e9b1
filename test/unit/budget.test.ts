import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetExhaustedError } from '../../src/errors.js';
import { BudgetLedger } from '../../src/ledger/index.js';
import type { FsLake } from '../../src/storage/index.js';
import { tempLake } from '../helpers/lake.js';

let lake: FsLake;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ lake, cleanup } = await tempLake()));
afterEach(() => cleanup());

describe('BudgetLedger', () => {
  it('charges each release once and refuses what would exceed the cap', async () => {
    const ledger = new BudgetLedger(lake.tables('budget'), 'analyses', 2);
    await ledger.charge('2016-08', 'a/2016-08', 1);
    await ledger.charge('2016-08', 'a/2016-08', 1); // the same release again: no-op
    expect(await ledger.state('2016-08')).toMatchObject({
      epsilonSpent: 1,
      epsilonRemaining: 1,
      releaseCount: 1,
    });
    await ledger.charge('2016-08', 'b/2016-08', 1);
    await expect(ledger.charge('2016-08', 'c/2016-08', 0.5)).rejects.toBeInstanceOf(BudgetExhaustedError);
    await expect(ledger.check('2016-08', 0.1)).rejects.toThrow(/spent ε=2 of cap 2/);
    expect(await ledger.state('2016-09')).toMatchObject({ epsilonSpent: 0, epsilonRemaining: 2 });
  });

  it('survives a restart: state lives in the table, not in memory', async () => {
    await new BudgetLedger(lake.tables('budget'), 'analyses', 3).charge('2016-08', 'a', 2);
    const again = new BudgetLedger(lake.tables('budget'), 'analyses', 3);
    await expect(again.charge('2016-08', 'b', 1.5)).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect((await again.state('2016-08')).epsilonSpent).toBe(2);
  });

  it('never over-spends when concurrent runs race for the last of the budget', async () => {
    const ledgers = Array.from({ length: 8 }, () => new BudgetLedger(lake.tables('budget'), 'analyses', 3));
    const results = await Promise.allSettled(ledgers.map((l, i) => l.charge('2016-08', `r${i}`, 1)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(
      results.filter((r) => r.status === 'rejected').every((r) => r.reason instanceof BudgetExhaustedError),
    ).toBe(true);
    expect((await ledgers[0]!.state('2016-08')).epsilonSpent).toBe(3);
  });
});
