import { describe, expect, it } from 'vitest';
import { describeGuarantee } from '../../src/dp/index.js';

const ONE = { maxPartitionsContributed: 1, maxContributionsPerPartition: 1 } as const;

describe('describeGuarantee', () => {
  it('states the bounds and ε in one sentence', () => {
    expect(describeGuarantee(1, ONE)).toBe(
      'Any one visitor, across all their sessions in the window, changes each published count by at most 1 session, in at most 1 partition (L0=1, Linf=1); ε = 1.',
    );
    expect(
      describeGuarantee(0.5, { maxPartitionsContributed: 3, maxContributionsPerPartition: 2 }),
    ).toContain('at most 2 sessions, in at most 3 partitions (L0=3, Linf=2); ε = 0.5.');
  });
});
