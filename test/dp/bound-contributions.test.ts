import { describe, expect, it } from 'vitest';
import {
  boundContributions,
  DpParameterError,
  newSamplingSalt,
  seededRandom,
  type Contribution,
  type ContributionBounds,
  type RandomSource,
  rowSensitivity,
} from '../../src/dp/index.js';
import { createHash } from 'node:crypto';
import { chiSquareGoodnessOfFit } from './stats.js';

type Row = Contribution<number>;

const pick = (rng: RandomSource, n: number): number => Number(rng.randomBelow(BigInt(n)));

/** A random dataset: up to 12 users, each with 1–15 rows over up to 6 partitions (some users small). */
function randomDataset(rng: RandomSource, prefix: string): Row[] {
  const rows: Row[] = [];
  const users = 1 + pick(rng, 12);
  for (let u = 0; u < users; u++) {
    const n = 1 + pick(rng, 15);
    const partitions = 1 + pick(rng, 6);
    for (let r = 0; r < n; r++) {
      rows.push({
        privacyId: `${prefix}u${u}`,
        partitionKey: `p${pick(rng, partitions)}`,
        rowId: `${prefix}r${u}-${r}`,
        value: r,
      });
    }
  }
  // Interleave users, as rows arrive in practice.
  for (let i = rows.length - 1; i > 0; i--) {
    const j = pick(rng, i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows;
}

/** privacyId → partitionKey → rowIds (sorted), for comparisons. */
function shape(rows: readonly Row[]): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const r of rows) {
    const user = out.get(r.privacyId) ?? new Map<string, string[]>();
    out.set(r.privacyId, user);
    user.set(r.partitionKey, [...(user.get(r.partitionKey) ?? []), r.rowId].sort());
  }
  return out;
}

describe('boundContributions', () => {
  it('holds the L0/Linf caps, keeps only input rows and as many as allowed, on 200 random datasets', () => {
    const rng = seededRandom('bounding-property');
    let dropped = 0;
    for (let t = 0; t < 200; t++) {
      const rows = randomDataset(rng, '');
      const bounds: ContributionBounds = {
        maxPartitionsContributed: 1 + pick(rng, 4),
        maxContributionsPerPartition: 1 + pick(rng, 4),
      };
      const { maxPartitionsContributed: l0, maxContributionsPerPartition: linf } = bounds;
      const salt = newSamplingSalt(rng);
      const kept = boundContributions(rows, bounds, salt);
      dropped += rows.length - kept.length;

      // Every kept row is one of the input rows, each at most once.
      const input = new Set(rows);
      expect(kept.every((r) => input.has(r))).toBe(true);
      expect(new Set(kept).size).toBe(kept.length);

      const before = shape(rows);
      const after = shape(kept);
      for (const [user, partitions] of before) {
        const keptPartitions = after.get(user) ?? new Map<string, string[]>();
        // Caps.
        expect(keptPartitions.size).toBeLessThanOrEqual(l0);
        for (const ids of keptPartitions.values()) expect(ids.length).toBeLessThanOrEqual(linf);
        // As much as allowed: min(L0, #partitions) partitions, each with min(Linf, #rows) rows.
        expect(keptPartitions.size).toBe(Math.min(l0, partitions.size));
        for (const [pk, ids] of keptPartitions)
          expect(ids.length).toBe(Math.min(linf, partitions.get(pk)!.length));
        // A user within the bounds loses nothing.
        if (partitions.size <= l0 && [...partitions.values()].every((ids) => ids.length <= linf)) {
          expect(keptPartitions).toEqual(partitions);
        }
      }

      // A user's kept rows depend on that user's rows alone: adding other users changes nothing for them,
      // and the result is deterministic given the salt.
      const others = randomDataset(rng, 'x');
      const merged = [...others.slice(0, others.length >> 1), ...rows, ...others.slice(others.length >> 1)];
      const keptMerged = shape(boundContributions(merged, bounds, salt));
      for (const [user, partitions] of after) expect(keptMerged.get(user)).toEqual(partitions);
      expect(shape(boundContributions([...rows].reverse(), bounds, salt))).toEqual(after);
    }
    // The datasets do exceed the bounds, so the checks above are not vacuous.
    expect(dropped).toBeGreaterThan(1000);
  });

  it('also holds a per-user total (maxContributions) with L0/Linf, on 300 random datasets (deterministic seed)', () => {
    const rng = seededRandom('bounding-property-total');
    let cappedUsers = 0;
    for (let t = 0; t < 300; t++) {
      const rows = randomDataset(rng, '');
      const bounds: ContributionBounds = {
        maxPartitionsContributed: 1 + pick(rng, 4),
        maxContributionsPerPartition: 1 + pick(rng, 4),
        maxContributions: 1 + pick(rng, 8),
      };
      const {
        maxPartitionsContributed: l0,
        maxContributionsPerPartition: linf,
        maxContributions: total,
      } = bounds;
      const salt = newSamplingSalt(rng);
      const kept = boundContributions(rows, bounds, salt);
      const input = new Set(rows);
      expect(kept.every((r) => input.has(r))).toBe(true);
      const before = shape(rows);
      const after = shape(kept);
      // Without the total, the same salt keeps a superset: the total only removes rows.
      const withoutTotal = shape(
        boundContributions(rows, { maxPartitionsContributed: l0, maxContributionsPerPartition: linf }, salt),
      );
      for (const [user] of before) {
        const keptPartitions = after.get(user) ?? new Map<string, string[]>();
        const all = [...keptPartitions.values()].flat();
        expect(keptPartitions.size).toBeLessThanOrEqual(l0);
        for (const ids of keptPartitions.values()) expect(ids.length).toBeLessThanOrEqual(linf);
        expect(all.length).toBeLessThanOrEqual(total!);
        const loose = [...(withoutTotal.get(user)?.values() ?? [])].flat();
        expect(loose).toEqual(expect.arrayContaining(all));
        expect(all.length).toBe(Math.min(total!, loose.length));
        if (loose.length > total!) cappedUsers += 1;
      }
    }
    expect(cappedUsers).toBeGreaterThan(100);
  });

  it('rowSensitivity: L1 = min(L0·Linf, total), squared L2 from filling partitions with Linf rows', () => {
    expect(rowSensitivity({ maxPartitionsContributed: 3, maxContributionsPerPartition: 4 })).toEqual({
      l1: 12n,
      l2Squared: 48n,
    });
    expect(
      rowSensitivity({ maxPartitionsContributed: 3, maxContributionsPerPartition: 4, maxContributions: 6 }),
    ).toEqual({
      l1: 6n,
      l2Squared: 20n,
    });
    expect(
      rowSensitivity({ maxPartitionsContributed: 3, maxContributionsPerPartition: 4, maxContributions: 50 }),
    ).toEqual({
      l1: 12n,
      l2Squared: 48n,
    });
    // Brute force over all allocations for small bounds.
    for (let l0 = 1; l0 <= 3; l0++)
      for (let linf = 1; linf <= 3; linf++)
        for (let total = 1; total <= 10; total++) {
          let best = 0;
          const rec = (k: number, left: number, acc: number): void => {
            best = Math.max(best, acc);
            if (k === l0) return;
            for (let c = 1; c <= Math.min(linf, left); c++) rec(k + 1, left - c, acc + c * c);
          };
          rec(0, total, 0);
          const r = rowSensitivity({
            maxPartitionsContributed: l0,
            maxContributionsPerPartition: linf,
            maxContributions: total,
          });
          expect(r.l2Squared).toBe(BigInt(best));
          expect(r.l1).toBe(BigInt(Math.min(l0 * linf, total)));
        }
  });

  it('ranks rows and partitions by md5(salt|id|partition|row) and md5(salt|id|partition), smallest first', () => {
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const salt = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const rows: Row[] = [];
    for (const pk of ['desktop', 'mobile', 'tablet']) {
      for (let r = 0; r < 5; r++)
        rows.push({ privacyId: 'alice', partitionKey: pk, rowId: `${pk}-${r}`, value: r });
    }
    const kept = boundContributions(
      rows,
      { maxPartitionsContributed: 2, maxContributionsPerPartition: 2 },
      salt,
    );
    const expectedPartitions = ['desktop', 'mobile', 'tablet']
      .sort((a, b) => (md5(`${salt}|alice|${a}`) < md5(`${salt}|alice|${b}`) ? -1 : 1))
      .slice(0, 2);
    const expected = expectedPartitions.flatMap((pk) =>
      rows
        .filter((r) => r.partitionKey === pk)
        .sort((a, b) =>
          md5(`${salt}|alice|${pk}|${a.rowId}`) < md5(`${salt}|alice|${pk}|${b.rowId}`) ? -1 : 1,
        )
        .slice(0, 2),
    );
    expect(new Set(kept)).toEqual(new Set(expected));
    // Kept rows come back in input order.
    expect(kept).toEqual(rows.filter((r) => expected.includes(r)));
  });

  it('chooses each of a user’s partitions with equal probability over fresh salts (χ², fails at p < 1e-6)', () => {
    const rng = seededRandom('bounding-uniform');
    const rows: Row[] = ['a', 'b', 'c', 'd'].flatMap((pk) =>
      [0, 1, 2].map((r) => ({ privacyId: 'u', partitionKey: pk, rowId: `${pk}${r}`, value: r })),
    );
    const partitionCounts = new Map<string, number>();
    const rowCounts = new Map<string, number>();
    const trials = 4000;
    for (let i = 0; i < trials; i++) {
      const [kept] = boundContributions(
        rows,
        { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 },
        newSamplingSalt(rng),
      );
      partitionCounts.set(kept!.partitionKey, (partitionCounts.get(kept!.partitionKey) ?? 0) + 1);
      rowCounts.set(kept!.rowId, (rowCounts.get(kept!.rowId) ?? 0) + 1);
    }
    const p = (m: Map<string, number>, cells: number) =>
      chiSquareGoodnessOfFit(
        [...m.values(), ...new Array<number>(cells - m.size).fill(0)],
        new Array<number>(cells).fill(1 / cells),
      ).pValue;
    expect(p(partitionCounts, 4)).toBeGreaterThan(1e-6);
    expect(p(rowCounts, 12)).toBeGreaterThan(1e-6);
  });

  it('validates bounds', () => {
    expect(() =>
      boundContributions([], { maxPartitionsContributed: 0, maxContributionsPerPartition: 1 }, 's'),
    ).toThrow(DpParameterError);
  });
});

describe('newSamplingSalt', () => {
  it('is 32 lowercase hex characters, fresh each time', () => {
    const a = newSamplingSalt();
    const b = newSamplingSalt();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(newSamplingSalt(seededRandom('salt'))).toBe(newSamplingSalt(seededRandom('salt')));
    expect(newSamplingSalt(seededRandom('salt'))).toMatch(/^[0-9a-f]{32}$/);
  });
});
