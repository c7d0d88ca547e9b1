import { describe, expect, it } from 'vitest';
import { rhoForEpsilonDelta, rhoToEpsilon } from '../../src/dp/index.js';
import { Xoshiro128 } from '../../src/generate/prng.js';
import {
  approxCost,
  combine,
  composeCosts,
  pureCost,
  zcdpCost,
  type BudgetPolicy,
  type PrivacyCost,
} from '../../src/ledger/index.js';

const DELTA = 1e-5;
const naive: BudgetPolicy = { epsilonCap: 100, deltaCap: DELTA, accounting: 'naive' };
const zcdp: BudgetPolicy = { ...naive, accounting: 'zcdp' };
const best: BudgetPolicy = { ...naive, accounting: 'best' };

// Deterministic except the monotonicity property, which uses a fixed seed: false-failure rate 0.
describe('cost types', () => {
  it('states a zCDP release also as the (ε, δ) it implies on its own (CKS 2020 vector)', () => {
    const [part] = zcdpCost(0.1, 1e-5);
    expect(part).toMatchObject({ measure: 'zcdp', rho: 0.1, delta: 1e-5 });
    expect(part!.epsilon).toBeCloseTo(1.914239, 5);
    expect(combine(pureCost(0.5), approxCost(0.5, 1e-6))).toHaveLength(2);
    expect(() => pureCost(0)).toThrow(/epsilon must be a finite number > 0/);
    expect(() => approxCost(1, 1)).toThrow(/delta must be in \[0, 1\)/);
  });
});

describe('composeCosts: each statement', () => {
  const costs: PrivacyCost[] = [
    pureCost(1),
    combine(pureCost(0.5), approxCost(0.5, 1e-6)),
    zcdpCost(0.01, 1e-6),
    zcdpCost(0.02, 1e-6),
  ];
  const rhoZ = 0.03;

  it('naive adds every part’s own (ε, δ)', () => {
    const eps = 1 + 0.5 + 0.5 + zcdpCost(0.01, 1e-6)[0]!.epsilon + zcdpCost(0.02, 1e-6)[0]!.epsilon;
    expect(composeCosts(naive, costs)).toMatchObject({ statement: 'naive', rho: 0, delta: 3e-6 });
    expect(composeCosts(naive, costs).epsilon).toBeCloseTo(eps, 12);
  });

  it('zcdp converts pure ε as ρ = ε²/2 with the ρ parts at the δ the approx parts leave, and adds the approx parts', () => {
    const rho = 0.5 + 0.125 + rhoZ;
    const c = composeCosts(zcdp, costs);
    expect(c).toMatchObject({ statement: 'zcdp', delta: DELTA });
    expect(c.rho).toBeCloseTo(rho, 15);
    expect(c.epsilon).toBeCloseTo(rhoToEpsilon(rho, DELTA - 1e-6) + 0.5, 12);
  });

  it('hybrid adds pure and approx parts naively and converts only the ρ parts', () => {
    // best picks hybrid here: the pure parts are large (ε²/2 would cost more in zCDP) and the
    // ρ parts small and numerous enough that converting them beats adding their ε.
    const c = composeCosts(best, costs);
    expect(c.statement).toBe('hybrid');
    expect(c.rho).toBeCloseTo(rhoZ, 15);
    expect(c.epsilon).toBeCloseTo(1 + 0.5 + 0.5 + rhoToEpsilon(rhoZ, DELTA - 1e-6), 12);
  });

  it('best states the smallest valid ε of the three', () => {
    for (const set of [
      [pureCost(1), pureCost(1), pureCost(1)], // few large pure releases: naive
      [pureCost(1), ...Array.from({ length: 20 }, () => zcdpCost(0.004, 1e-6))], // one large pure + many ρ: hybrid
      Array.from({ length: 400 }, () => pureCost(0.05)), // many small pure releases: zcdp
    ]) {
      const all = (['naive', 'zcdp'] as const).map((a) => composeCosts({ ...best, accounting: a }, set));
      const got = composeCosts(best, set);
      for (const c of all) if (c.delta <= DELTA) expect(got.epsilon).toBeLessThanOrEqual(c.epsilon);
    }
    expect(composeCosts(best, [pureCost(1), pureCost(1), pureCost(1)]).statement).toBe('naive');
    expect(
      composeCosts(best, [pureCost(1), ...Array.from({ length: 20 }, () => zcdpCost(0.004, 1e-6))]).statement,
    ).toBe('hybrid');
    expect(
      composeCosts(
        best,
        Array.from({ length: 400 }, () => pureCost(0.05)),
      ).statement,
    ).toBe('zcdp');
  });

  it('never states a composition whose δ is over the cap, even with a smaller ε', () => {
    // 20 MAU-like releases at δ = 1e-6 each: naive δ = 2e-5 > 1e-5, so naive is not valid.
    const mau = Array.from({ length: 20 }, () => zcdpCost(rhoForEpsilonDelta(0.05, 1e-6), 1e-6));
    expect(composeCosts(naive, mau).delta).toBeCloseTo(2e-5, 15);
    const c = composeCosts(best, mau);
    expect(c.delta).toBe(DELTA);
    expect(c.statement).not.toBe('naive');
  });

  it('counts a zCDP part stated with δ = 0 (several Laplace parts) as pure ε in the hybrid statement', () => {
    const laplaceParts: PrivacyCost = [{ measure: 'zcdp', rho: 0.25, epsilon: 1, delta: 0 }];
    const c = composeCosts(best, [laplaceParts, laplaceParts]);
    expect(c.statement).toBe('naive');
    expect(c.epsilon).toBe(2);
    // In the all-zCDP statement its ρ (0.25, below 1²/2) is what counts.
    expect(composeCosts(zcdp, [laplaceParts]).rho).toBe(0.25);
  });

  it('has no finite zCDP statement when approx parts use the whole δ cap', () => {
    const c = composeCosts(zcdp, [approxCost(0.1, DELTA), zcdpCost(0.01, 1e-6)]);
    expect(c.epsilon).toBe(Infinity);
    // best falls back on what is valid; with nothing valid it returns naive, over the δ cap.
    expect(composeCosts(best, [approxCost(0.1, DELTA), zcdpCost(0.01, 1e-6)]).delta).toBeGreaterThan(DELTA);
  });
});

describe('composeCosts: monotone', () => {
  it('never lowers the stated ε when a release is added (150 random sequences of 30, fixed seed)', () => {
    const rng = Xoshiro128.fromSeed('compose-costs-monotone');
    const release = (): PrivacyCost => {
      const kind = rng.int(4);
      const eps = 0.01 + 1.5 * rng.float();
      if (kind === 0) return pureCost(eps);
      if (kind === 1) return zcdpCost(rhoForEpsilonDelta(eps, 1e-6), 1e-6);
      if (kind === 2) return combine(pureCost(eps), approxCost(0.1 * eps, 1e-7));
      return [{ measure: 'zcdp', rho: (eps * eps) / 4, epsilon: eps, delta: 0 }];
    };
    let checked = 0;
    const statements = new Set<string>();
    for (let s = 0; s < 150; s++) {
      const costs: PrivacyCost[] = [];
      let before = { naive: 0, zcdp: 0, best: 0 };
      for (let i = 0; i < 30; i++) {
        costs.push(release());
        const stated = composeCosts(best, costs);
        const after = {
          naive: composeCosts(naive, costs).epsilon,
          zcdp: composeCosts(zcdp, costs).epsilon,
          best: stated.epsilon,
        };
        statements.add(stated.statement);
        expect(after.naive).toBeGreaterThanOrEqual(before.naive);
        expect(after.zcdp).toBeGreaterThanOrEqual(before.zcdp);
        expect(after.best).toBeGreaterThanOrEqual(before.best);
        before = after;
        checked++;
      }
    }
    expect(checked).toBe(4_500);
    // The sequences exercise every statement winning at some point.
    expect([...statements].sort()).toEqual(['hybrid', 'naive', 'zcdp']);
  });
});
