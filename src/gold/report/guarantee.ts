import type { Release } from '../release.js';
import { expEpsilon, windowLabel } from './numbers.js';

const MECHANISMS: Record<string, string> = {
  discrete_laplace: 'discrete Laplace',
  discrete_gaussian: 'discrete Gaussian',
};

const plural = (n: number, one: string, many: string): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Whether a release says some partitions may be missing because they were not selected. */
export function usesPartitionSelection(release: Release): boolean {
  const r = release as unknown as Record<string, unknown>;
  const p = release.privacy as unknown as Record<string, unknown>;
  return r.partition_selection !== undefined || p.partition_selection !== undefined;
}

/**
 * The guarantee of one release in plain words, derived only from its public parameters: who is
 * protected, how much one visitor can move the numbers, what ε (and δ) mean, and how the
 * intervals were made. Each item is a sentence or two; the report shows them next to the values.
 */
export function plainGuarantee(release: Release): { label: string; text: string }[] {
  const p = release.privacy;
  const l0 = p.max_partitions_contributed;
  const linf = p.max_contributions_per_partition;
  const items: { label: string; text: string }[] = [];
  items.push({
    label: 'Who is protected',
    text: `each visitor, across all their sessions in ${windowLabel(release.window)} — not just a single session.`,
  });
  let influence: string;
  if (release.statistic === 'count') {
    influence =
      `a visitor is counted at most ${linf === 1 ? 'once' : `${linf} times`} in each ${release.partition_by.replace(/_/g, ' ')}, ` +
      `in at most ${plural(l0, 'partition', 'partitions')}: adding or removing any one visitor changes each number by at most ${linf}` +
      (l0 > 1 ? `, and at most ${l0} numbers.` : ' and at most one number.');
  } else {
    const clamp = p.bounds
      ? `, each clamped to ${p.bounds[0].toLocaleString('en-US')}–${p.bounds[1].toLocaleString('en-US')}${p.unit ? ` ${p.unit}` : ''}`
      : '';
    influence =
      `a visitor contributes at most ${plural(linf, 'value', 'values')}${clamp} to each partition, in at most ` +
      `${plural(l0, 'partition', 'partitions')}; those bounds cap how far one visitor can move any number.`;
  }
  items.push({ label: 'How much one visitor can change', text: influence });
  const factor = expEpsilon(p.epsilon);
  items.push({
    label: `What ε = ${p.epsilon} means`,
    text:
      `whether or not any one visitor's data is included, the chance of seeing these exact numbers changes by at most a factor of e^${p.epsilon} ≈ ${factor}` +
      (p.delta > 0 ? `, except with probability at most δ = ${p.delta}.` : '.') +
      ' Smaller ε means stronger protection and more noise.',
  });
  const mechanism = MECHANISMS[p.mechanism] ?? p.mechanism.replace(/_/g, ' ');
  items.push({
    label: 'Noise and intervals',
    text:
      `${mechanism} noise (scale ${p.noise_scale.toLocaleString('en-US')}) was added once; each 95% interval covers the value ` +
      `after per-visitor bounding with probability at least 95% (${p.interval_method}). It does not include the bias bounding itself introduces.`,
  });
  items.push({
    label: 'Partitions',
    text: usesPartitionSelection(release)
      ? 'only partitions with enough visitors are published (private partition selection): a missing partition is not a zero, and its absence is itself noisy.'
      : 'every partition of a public list is published, even an empty one (then the value is pure noise), so a value near zero or below it is expected for tiny partitions.',
  });
  return items;
}
