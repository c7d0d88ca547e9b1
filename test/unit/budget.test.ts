import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig, type PipelineConfig } from '../../src/config/index.js';
import { rhoForEpsilonDelta, rhoToEpsilon } from '../../src/dp/index.js';
import { BudgetExhaustedError, DamagedStateError, UserError } from '../../src/errors.js';
import {
  approxCost,
  combine,
  composeCosts,
  encodeMonth,
  MONTH_PARTITION,
  PrivacyLedger,
  pureCost,
  totalPolicy,
  zcdpCost,
  type Charge,
  type LedgerMetric,
  type PrivacyCost,
} from '../../src/ledger/index.js';
import type { Lake, TableStore } from '../../src/storage/index.js';
import { BACKENDS } from '../helpers/backends.js';

const MAU_DELTA = 1e-6;
const MAU_RHO = rhoForEpsilonDelta(0.5, MAU_DELTA);
const mauCost = zcdpCost(MAU_RHO, MAU_DELTA);

function configWith(budget: object = {}, activeUsers: object = {}): PipelineConfig {
  return parseConfig({
    ...DEFAULT_CONFIG_INPUT,
    budget: { ...DEFAULT_CONFIG_INPUT.budget, ...budget },
    active_users: { ...DEFAULT_CONFIG_INPUT.active_users, ...activeUsers },
  });
}

const charge = (
  metric: LedgerMetric,
  releaseId: string,
  cost: PrivacyCost,
  periods = ['2016-08'],
): Charge => ({
  metric,
  releaseId,
  periods,
  cost,
});

async function refusal(p: Promise<unknown>): Promise<BudgetExhaustedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BudgetExhaustedError);
  return err as BudgetExhaustedError;
}

for (const backend of BACKENDS) {
  describe(`PrivacyLedger on ${backend.name}`, () => {
    let lake: Lake;
    let cleanup: () => Promise<void>;
    let table: TableStore;
    beforeEach(async () => {
      ({ lake, cleanup } = await backend.fresh());
      table = lake.tables('budget');
    });
    afterEach(() => cleanup());

    it('charges a release once per month, and the state survives a restart', async () => {
      const config = configWith();
      const ledger = new PrivacyLedger(table, config);
      const dau = charge('dau', 'dau/2016-08-01', pureCost(0.3));
      expect(await ledger.charge(dau)).toEqual({ epsilonCharged: 0.3 });
      expect(await ledger.charge(dau)).toEqual({ epsilonCharged: 0 }); // the same release again: no-op
      expect(await ledger.isCharged('dau/2016-08-01', '2016-08')).toBe(true);
      expect(await ledger.isCharged('dau/2016-08-01', '2016-09')).toBe(false);
      const again = await new PrivacyLedger(lake.tables('budget'), config).state('2016-08');
      expect(again.metrics.dau).toMatchObject({ epsilonSpent: 0.3, releaseCount: 1, epsilonCap: 3 });
      expect(again.total).toMatchObject({
        metric: 'total',
        epsilonSpent: 0.3,
        releaseCount: 1,
        epsilonCap: 8,
      });
      expect(again.metrics.mau).toMatchObject({ epsilonSpent: 0, releaseCount: 0 });
      expect(again.nextReset).toBe('2016-09-01');
      // A window covering two months is charged to both.
      const window = charge('mau', 'mau/2016-09-05-w30', mauCost, ['2016-08', '2016-09']);
      expect((await ledger.charge(window)).epsilonCharged).toBeCloseTo(2 * mauCost[0]!.epsilon, 9);
      expect((await ledger.state('2016-09')).metrics.mau.releaseCount).toBe(1);
    });

    it('fits exactly as many of 50 concurrent MAU charges as sequential ones (costs stored as ρ, composed at read)', async () => {
      const config = configWith({ total_monthly_epsilon_cap: 100 });
      const sequential = new PrivacyLedger(table, config);
      let fit = 0;
      for (let i = 0; i < 50; i++) {
        try {
          await sequential.charge(charge('mau', `mau/seq-${i}`, mauCost, ['2016-07']));
          fit++;
        } catch (e) {
          expect(e).toBeInstanceOf(BudgetExhaustedError);
        }
      }
      expect(fit).toBe(36); // ρ adds up: 36 releases of ε = 0.5 fit in ε = 3.5 at δ = 1e-6
      // Fifty ledgers, as fifty processes would have, racing on one month.
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          new PrivacyLedger(lake.tables('budget'), config).charge(charge('mau', `mau/par-${i}`, mauCost)),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(fit);
      expect(results.every((r) => r.status === 'fulfilled' || r.reason instanceof BudgetExhaustedError)).toBe(
        true,
      );
      const s = (await sequential.state('2016-08')).metrics.mau;
      expect(s.releaseCount).toBe(fit);
      expect(s.epsilonSpent).toBeLessThanOrEqual(3.5);
      expect(s.epsilonSpent).toBeCloseTo(rhoToEpsilon(fit * MAU_RHO, MAU_DELTA), 9);
    });

    it('enforces the per-person total across metrics, naming the cap hit, and check() spends nothing', async () => {
      const config = configWith({ total_monthly_epsilon_cap: 2 });
      const ledger = new PrivacyLedger(table, config);
      await ledger.charge(charge('analyses', 'a/2016-08', pureCost(1)));
      await ledger.charge(charge('dau', 'dau/2016-08-01', pureCost(0.3)));
      await ledger.charge(charge('dau', 'dau/2016-08-02', pureCost(0.3)));
      // MAU's own cap (3.5) has room, but the month's total would be ≈ 2.03 > 2.
      const mau = charge('mau', 'mau/2016-08-31-w30', mauCost);
      const expected = composeCosts(totalPolicy(config), [
        pureCost(1),
        pureCost(0.3),
        pureCost(0.3),
        mauCost,
      ]);
      expect(expected.epsilon).toBeGreaterThan(2);
      const err = await refusal(ledger.check([mau]));
      expect(err.details).toMatchObject({ metric: 'mau', limit: 'total', period: '2016-08', epsilonCap: 2 });
      expect(err.details.epsilonSpent).toBeCloseTo(1.6, 12);
      expect(err.message).toMatch(
        /^privacy budget exhausted for mau in 2016-08: the month's total per-person budget \(every metric together\) has spent ε=1\.6 of cap 2; .*raise budget\.total_monthly_epsilon_cap/,
      );
      expect((await refusal(ledger.charge(mau))).details.limit).toBe('total');
      // Checking several charges together counts them together: each fits alone, not both.
      const two = [
        charge('dau', 'dau/2016-08-03', pureCost(0.3)),
        charge('utility', 'utility/2016-08/r', pureCost(0.3)),
      ];
      await ledger.check([two[0]!]);
      await ledger.check([two[1]!]);
      expect((await refusal(ledger.check(two))).details).toMatchObject({ metric: 'dau', limit: 'total' });
      const s = await ledger.state('2016-08');
      expect(s.total).toMatchObject({ releaseCount: 3, epsilonSpent: 1.6, statement: 'naive' });
      expect(s.metrics.mau.releaseCount).toBe(0);
      // A metric's own cap is still its own: refused as `metric`.
      const tight = new PrivacyLedger(
        table,
        configWith({}, { dau: { epsilon: 0.3, monthly_epsilon_cap: 0.6 } }),
      );
      const own = await refusal(tight.charge(charge('dau', 'dau/2016-08-04', pureCost(0.3))));
      expect(own.details).toMatchObject({ metric: 'dau', limit: 'metric', epsilonCap: 0.6 });
      expect(own.message).toMatch(/^privacy budget exhausted for dau in 2016-08: spent ε=0\.6 of cap 0\.6;/);
    });

    it('refuses a release id already charged to another metric in one line', async () => {
      const ledger = new PrivacyLedger(table, configWith());
      await ledger.charge(charge('dau', 'dau_series/2016-08', pureCost(1)));
      await expect(ledger.charge(charge('analyses', 'dau_series/2016-08', pureCost(1)))).rejects.toThrow(
        /release id dau_series\/2016-08 \(analyses\) is already charged to dau .*rename it/,
      );
    });

    it('folds in the per-metric entities of earlier versions so nothing already spent is forgotten', async () => {
      const config = configWith();
      // What earlier versions wrote: partition = metric, row = month, charges as pure ε numbers,
      // old cost objects, and for MAU each release's growth of the month's ε at δ = 1e-6.
      const legacy = (metric: string, charges: Record<string, unknown>) =>
        table.upsert({
          partitionKey: metric,
          rowKey: '2016-08',
          epsilon_spent: 0,
          epsilon_cap: 4,
          release_count: Object.keys(charges).length,
          charges: JSON.stringify(charges),
        });
      await legacy('analyses', {
        'sessions_per_continent/2016-08': { epsilon: 1, delta: 0, zcdp: { rho: 0.5, epsilon: 0, delta: 0 } },
        'sessions_per_country/2016-08': {
          epsilon: 1,
          delta: 1e-6,
          zcdp: { rho: 0.125, epsilon: 0.5, delta: 1e-6 },
        },
      });
      await legacy('utility', { 'utility/2016-08/r1': { epsilon: 0.1, delta: 0 } });
      await legacy('dau', { 'dau/2016-08-01': 0.3, 'dau_series/2016-08': 1 });
      // The old MAU charges: ε(ρ_before + ρ) − spent, with ρ_before recovered from the ε spent.
      const rho = MAU_RHO;
      const mau: Record<string, number> = {};
      let spent = 0;
      for (let i = 0; i < 5; i++) {
        const rhoBefore = spent > 0 ? rhoForEpsilonDelta(spent, MAU_DELTA) * (1 + 1e-9) : 0;
        const inc = rhoToEpsilon(rhoBefore + rho, MAU_DELTA) - spent;
        mau[`mau/2016-08-${10 + i}-w30`] = inc;
        spent += inc;
      }
      await legacy('mau', mau);

      const ledger = new PrivacyLedger(table, config);
      const folded = await ledger.state('2016-08');
      expect(folded.metrics.analyses).toMatchObject({ epsilonSpent: 2, deltaSpent: 1e-6, releaseCount: 2 });
      expect(folded.metrics.utility).toMatchObject({ epsilonSpent: 0.1, releaseCount: 1 });
      expect(folded.metrics.dau).toMatchObject({ epsilonSpent: 1.3, releaseCount: 2 });
      expect(folded.metrics.mau.releaseCount).toBe(5);
      // What the old ledger said MAU spent, never less.
      expect(folded.metrics.mau.epsilonSpent).toBeGreaterThanOrEqual(spent - 1e-9);
      expect(folded.metrics.mau.epsilonSpent).toBeCloseTo(spent, 6);
      expect(folded.total.releaseCount).toBe(10);
      expect(await ledger.isCharged('dau/2016-08-01', '2016-08')).toBe(true);
      expect(await ledger.months()).toEqual(['2016-08']);

      // The next charge writes the month as one entity holding everything.
      await ledger.charge(charge('dau', 'dau/2016-08-02', pureCost(0.3)));
      expect(await table.get(MONTH_PARTITION, '2016-08')).toBeDefined();
      const after = await ledger.state('2016-08');
      expect(after.metrics.dau).toMatchObject({ epsilonSpent: 1.6, releaseCount: 3 });
      expect(after.metrics.analyses.epsilonSpent).toBe(2);
      expect(after.metrics.mau.epsilonSpent).toBe(folded.metrics.mau.epsilonSpent);
      // A reset forgets one metric only; the legacy entity does not bring it back.
      expect(await ledger.reset('2016-08', 'dau')).toBe(true);
      expect(await ledger.reset('2016-08', 'dau')).toBe(false);
      const reset = await ledger.state('2016-08');
      expect(reset.metrics.dau.releaseCount).toBe(0);
      expect(reset.metrics.analyses.releaseCount).toBe(2);
    });

    it('stores a month of 2,000 charges over numbered properties within the table limits', async () => {
      const config = configWith(
        { total_monthly_epsilon_cap: 1e6, monthly_epsilon_cap: 1e6 },
        {
          dau: { epsilon: 0.3, monthly_epsilon_cap: 1e6 },
          mau: { epsilon: 0.5, delta: MAU_DELTA, window_days: 30, monthly_epsilon_cap: 1e6 },
        },
      );
      const charges: Record<string, { metric: LedgerMetric; cost: PrivacyCost }> = {};
      for (let i = 0; i < 1999; i++) {
        const day = `2016-08-${String(1 + (i % 31)).padStart(2, '0')}`;
        charges[i % 4 === 0 ? `dau/${day}/${i}` : `mau/${day}-w${i}`] =
          i % 4 === 0 ? { metric: 'dau', cost: pureCost(0.3) } : { metric: 'mau', cost: mauCost };
      }
      charges['analysis/2016-08'] = {
        metric: 'analyses',
        cost: combine(pureCost(0.5), approxCost(0.5, 1e-6)),
      };
      await table.create(encodeMonth('2016-08', charges));
      const ledger = new PrivacyLedger(table, config);
      await ledger.charge(charge('mau', 'mau/2016-08-31-w7', mauCost));
      const s = await ledger.state('2016-08');
      expect(s.total.releaseCount).toBe(2001);
      expect(s.metrics.mau.releaseCount).toBe(1500);
      expect(s.metrics.dau).toMatchObject({ releaseCount: 500, epsilonSpent: 150 });
      const stored = (await table.get(MONTH_PARTITION, '2016-08'))!.entity;
      expect(stored.charges_chunks).toBeGreaterThan(3);
      for (let i = 0; i < Number(stored.charges_chunks); i++) {
        expect(String(stored[`charges_${i}`]).length).toBeLessThanOrEqual(32 * 1024);
      }
      // Far beyond what one entity holds: refused in one line before anything is written.
      const huge = Object.fromEntries(
        Array.from({ length: 6000 }, (_, i) => [
          `mau/2016-08-01-w${i}`,
          { metric: 'mau' as const, cost: mauCost },
        ]),
      );
      expect(() => encodeMonth('2016-08', huge)).toThrow(UserError);
      expect(() => encodeMonth('2016-08', huge)).toThrow(
        /would hold 6000 charges, more than one table entity/,
      );
    });

    it('reports a damaged month entity in one line saying what to do', async () => {
      await table.upsert({
        partitionKey: MONTH_PARTITION,
        rowKey: '2016-08',
        schema: 'dp-pipeline/budget-month@1',
        charges_chunks: 1,
        charges_0: '{"dau/2016-08-01": {"metric": "dau", "cost": [',
      });
      const ledger = new PrivacyLedger(table, configWith());
      await expect(ledger.state('2016-08')).rejects.toThrow(DamagedStateError);
      await expect(ledger.state('2016-08')).rejects.toThrow(
        /^budget table entity \(month, 2016-08\) is damaged \(charges_\* do not join into valid JSON\): restore it from a backup/,
      );
      await expect(ledger.state('2016-8')).rejects.toThrow(/month must be YYYY-MM, got '2016-8'/);
    });
  });
}
