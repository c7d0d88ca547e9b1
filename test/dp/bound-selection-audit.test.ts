import { describe, expect, it } from 'vitest';
import {
  chooseBounds,
  CONTRIBUTION_BUCKETS,
  noisyProfile,
  type ContributionProfile,
} from '../../src/analyses/index.js';
import type { SelectionModel } from '../../src/analyses/bound-selection.js';
import type { RandomSource } from '../../src/dp/index.js';
import { audit } from './audit.js';

/**
 * Empirical ε-audit (see ./audit.ts) of automatic bound selection: the DP contribution profile
 * (noisy histograms) and the choice read off it, on neighbouring profiles D and D′ = D + one heavy
 * visitor (more than 256 sessions in each of 24 partitions: the last rows bucket and the
 * partitions bucket of 24). D puts just enough users in those two buckets that whether each reads
 * as filled, and so which L0 and Linf are chosen, hinges on the noise: the one extra user moves
 * the chosen bounds' distribution as much as one user can. A correct selection stays within
 * e^ε_selection (false failure ≤ 1e-6 per audit, fixed seeds); the planted bug (histogram noise
 * for 2ε, scale halved) must be caught.
 */

const EPSILON = 1;
const RUNS = 20_000;
const MORE = CONTRIBUTION_BUCKETS.length; // the "more than 256" bucket
const L0_24 = CONTRIBUTION_BUCKETS.indexOf(24);

function profile(heavy: boolean): ContributionProfile<bigint> {
  const partitions = new Array<bigint>(MORE + 1).fill(0n);
  const rows = new Array<bigint>(MORE + 1).fill(0n);
  partitions[0] = 1000n;
  rows[0] = 1000n;
  // Near the bars of a lone bucket (scale × ln(17 / 0.01): 22.3 for partitions at ε/3, 11.2 for
  // rows at 2ε/3).
  partitions[L0_24] = 22n + (heavy ? 1n : 0n);
  rows[MORE] = 11n + (heavy ? 1n : 0n);
  return { partitions, rows };
}

/** Noise on the count is nearly free here, so the choice follows the profile's tail alone. */
const model: SelectionModel = {
  partitions: 1,
  noise: 'laplace',
  countNoise1: 1e-6,
  distinctUsers: false,
  auto: { l0: true, linf: true, clamp: false },
  fixed: { l0: 1, linf: 1 },
};

/** The selection; `bug` draws the histograms' noise for 2ε while the reader assumes ε. */
const choose =
  (exact: ContributionProfile<bigint>, bug = false) =>
  (rng: RandomSource): string => {
    const noisy = noisyProfile(exact, bug ? 2 * EPSILON : EPSILON, rng);
    const stated = bug
      ? {
          ...noisy,
          scales: {
            partitions: noisy.scales.partitions.map((s) => 2 * s),
            rows: noisy.scales.rows.map((s) => 2 * s),
          },
        }
      : noisy;
    const { chosen } = chooseBounds(stated, model);
    return `${chosen.l0}/${chosen.linf}`;
  };

// Events fixed in advance from the public candidate grid.
const events = [
  (o: string) => o === '24/256',
  (o: string) => o.startsWith('24/'),
  (o: string) => o.endsWith('/256'),
  (o: string) => o === '1/1',
];

describe('private bound selection audit', () => {
  it('moves the distribution of chosen bounds by at most e^ε_selection when one heavy visitor is added', () => {
    const r = audit(
      'bound selection',
      { epsilon: EPSILON, delta: 0 },
      choose(profile(false)),
      choose(profile(true)),
      events,
      'bound-selection-audit',
      RUNS,
    );
    // The audit saw the selection move (it has something to measure) …
    expect(r.epsilonHat).toBeGreaterThan(0.3);
    // … and never beyond what the declared ε allows.
    expect(r.epsilonLower).toBeLessThanOrEqual(EPSILON);
  });

  it('catches histogram noise calibrated for 2ε (positive control)', () => {
    const r = audit(
      'bound selection, planted bug',
      { epsilon: EPSILON, delta: 0 },
      choose(profile(false), true),
      choose(profile(true), true),
      events,
      'bound-selection-audit-bug',
      RUNS,
    );
    expect(r.epsilonLower).toBeGreaterThan(EPSILON);
  });
});
