import { createHash, randomBytes } from 'node:crypto';
import { checkBounds, type ContributionBounds } from './contribution-bounds.js';
import { DpParameterError } from './errors.js';
import type { RandomSource } from './random-source.js';

/** One input row: who contributed it, to which partition, its id, and its value. */
export interface Contribution<V> {
  readonly privacyId: string;
  readonly partitionKey: string;
  readonly rowId: string;
  readonly value: V;
}

/**
 * Contribution bounding, the REFERENCE implementation (for small inputs and tests; production
 * runs the same plan in SQL and a test holds both to the same result). Per privacy id it keeps at
 * most Linf rows in each partition and at most L0 partitions, each chosen uniformly at random by
 * a keyed hash (PipelineDP `SamplingCrossAndPerPartitionContributionBounder`: sample per
 * partition, then across partitions):
 *
 * 1. rows ranked by md5hex(`${salt}|${privacyId}|${partitionKey}|${rowId}`) ascending; the first
 *    Linf of each (id, partition) are kept;
 * 2. that id's partitions ranked by md5hex(`${salt}|${privacyId}|${partitionKey}`) ascending; the
 *    first L0 are kept;
 * 3. if a per-user total `maxContributions` is set (PipelineDP `max_contributions`), the user's
 *    rows kept so far are ranked by md5hex(`${salt}|total|${privacyId}|${partitionKey}|${rowId}`)
 *    and the first `maxContributions` are kept: a uniform random subset.
 *
 * Hex digests compare as strings (lowercase, fixed length), i.e. as numbers. The guarantee only
 * needs a user's kept rows to depend on that user's rows alone (and the salt); the salt must be a
 * fresh secret for each release ({@link newSamplingSalt}) so the selection is unpredictable. Rows
 * with the same (id, partition, rowId) tie and are taken in input order. The result lists the
 * kept rows in input order.
 *
 * @example
 * ```ts
 * const kept = boundContributions(rows, { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 }, newSamplingSalt());
 * ```
 */
export function boundContributions<V>(
  rows: Iterable<Contribution<V>>,
  bounds: ContributionBounds,
  salt: string,
): Contribution<V>[] {
  const {
    maxPartitionsContributed: l0,
    maxContributionsPerPartition: linf,
    maxContributions: total,
  } = checkBounds(bounds);
  if (typeof salt !== 'string') throw new DpParameterError(`salt must be a string, got ${String(salt)}`);

  const input = [...rows];
  // privacyId → partitionKey → rows of that pair, each with its rank hash and input position.
  const byUser = new Map<string, Map<string, { hash: string; index: number }[]>>();
  input.forEach((row, index) => {
    let partitions = byUser.get(row.privacyId);
    if (partitions === undefined) byUser.set(row.privacyId, (partitions = new Map()));
    let pairRows = partitions.get(row.partitionKey);
    if (pairRows === undefined) partitions.set(row.partitionKey, (pairRows = []));
    pairRows.push({ hash: md5hex(`${salt}|${row.privacyId}|${row.partitionKey}|${row.rowId}`), index });
  });

  const keep = new Set<number>();
  for (const [privacyId, partitions] of byUser) {
    const ranked = [...partitions.keys()]
      .map((partitionKey) => ({ partitionKey, hash: md5hex(`${salt}|${privacyId}|${partitionKey}`) }))
      .sort(byHash)
      .slice(0, l0);
    const userRows: number[] = [];
    for (const { partitionKey } of ranked) {
      const kept = [...partitions.get(partitionKey)!].sort(byHashThenIndex).slice(0, linf);
      for (const r of kept) userRows.push(r.index);
    }
    if (total !== undefined && userRows.length > total) {
      // 3. per-user total: a uniform subset of `total` of the rows kept so far, by a second keyed hash.
      const ranked3 = userRows
        .map((index) => {
          const row = input[index]!;
          return { index, hash: md5hex(`${salt}|total|${privacyId}|${row.partitionKey}|${row.rowId}`) };
        })
        .sort(byHashThenIndex)
        .slice(0, total);
      for (const r of ranked3) keep.add(r.index);
    } else {
      for (const index of userRows) keep.add(index);
    }
  }
  return input.filter((_, index) => keep.has(index));
}

/**
 * A fresh secret salt for {@link boundContributions}: 128 random bits as 32 lowercase hex
 * characters, from the secure RNG unless a source is given (tests).
 *
 * @example
 * ```ts
 * const salt = newSamplingSalt(); // e.g. "3f9c0b5e4d8a7e21c6b0f94d12ab77e0"
 * ```
 */
export function newSamplingSalt(rng?: RandomSource): string {
  if (rng === undefined) return randomBytes(16).toString('hex');
  let hex = '';
  for (let i = 0; i < 4; i++) hex += rng.randomBelow(0x1_0000_0000n).toString(16).padStart(8, '0');
  return hex;
}

function md5hex(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

function byHash(a: { hash: string }, b: { hash: string }): number {
  return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
}

function byHashThenIndex(a: { hash: string; index: number }, b: { hash: string; index: number }): number {
  return byHash(a, b) || a.index - b.index;
}
