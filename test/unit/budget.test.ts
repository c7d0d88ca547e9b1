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

describe('BudgetLedger accounting', () => {
  it('composes in zCDP: pure releases as ρ = ε²/2, converted with the tight bound, so more fit than naively', async () => {
    const policy = { epsilonCap: 2, deltaCap: 1e-6, accounting: 'zcdp' as const };
    const ledger = new BudgetLedger(lake.tables('budget'), 'analyses', policy);
    // n = how many releases of ε = 0.05 the zCDP accountant itself allows under (2, 1e-6).
    const { ZcdpAccountant } = await import('../../src/dp/index.js');
    let n = 0;
    for (; n < 100; n++) {
      const acc = new ZcdpAccountant();
      for (let i = 0; i <= n; i++) acc.spend({ epsilon: 0.05 });
      if (acc.epsilon(1e-6) > 2) break;
    }
    for (let i = 0; i < n; i++) await ledger.charge('2016-08', `r${i}`, 0.05);
    const s = await ledger.state('2016-08');
    expect(s.rhoSpent).toBeCloseTo(n * 0.00125, 12);
    expect(s.epsilonSpent).toBeLessThanOrEqual(2);
    await expect(ledger.charge('2016-08', 'one-more', 0.05)).rejects.toBeInstanceOf(BudgetExhaustedError);
    // Naive composition would have stopped at 40 releases of ε = 0.05.
    expect(n).toBeGreaterThan(40);
  });

  it('adds partition selection (ε, δ) on top of the ρ part and refuses a release over the δ cap', async () => {
    const policy = { epsilonCap: 4, deltaCap: 1e-5, accounting: 'naive' as const };
    const ledger = new BudgetLedger(lake.tables('budget'), 'analyses', policy);
    await ledger.charge('2016-08', 'a', { epsilon: 1, delta: 6e-6 });
    await expect(ledger.check('2016-08', { epsilon: 1, delta: 6e-6 })).rejects.toThrow(
      /δ=0\.000012 in all, over the cap budget\.monthly_delta_cap=0\.00001/,
    );
    expect(await ledger.state('2016-08')).toMatchObject({
      epsilonSpent: 1,
      deltaSpent: 6e-6,
      releaseCount: 1,
    });

    const z = new BudgetLedger(lake.tables('budget'), 'zcdp', { ...policy, accounting: 'zcdp' });
    await z.charge('2016-08', 'sel', {
      epsilon: 1,
      delta: 1e-6,
      zcdp: { rho: 0.125, epsilon: 0.5, delta: 1e-6 },
    });
    const { rhoToEpsilon } = await import('../../src/dp/index.js');
    const s = await z.state('2016-08');
    expect(s.epsilonSpent).toBeCloseTo(rhoToEpsilon(0.125, 9e-6) + 0.5, 9);
  });
});
