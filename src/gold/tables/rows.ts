import { z } from 'zod';
import { DamagedStateError } from '../../errors.js';
import type { Release } from '../release.js';
import type { TableRow } from './schema.js';

/** A release and the window id it is recorded under (a release record, or what Gold publishes of it). */
export interface WindowedRelease {
  readonly release: Release;
  readonly windowId: string;
}

const valueSchema = z.object({
  value: z.number(),
  ci95: z.tuple([z.number(), z.number()]),
});

/**
 * The additive release@1 fields the tables read, beyond what `releaseSchema` checks: each
 * partition's outputs and each output's mechanism. Decoded here rather than trusted, since the
 * release schema keeps them open.
 */
const additiveSchema = z.object({
  outputs: z.array(z.string().min(1)).min(1).optional(),
  partitions: z.array(z.object({ statistics: z.record(z.string(), valueSchema).optional() })),
  privacy: z.object({
    statistics: z.record(z.string(), z.object({ mechanism: z.string().min(1) })).optional(),
  }),
});

/** Outputs that count sessions or visitors: they have no unit. */
const UNITLESS = new Set(['count', 'privacy_id_count']);

/**
 * The Gold table rows of releases, long format: one row per (release, partition, output), in
 * the order analysis, window start, window id, then the release's own partition and output
 * order. Values, intervals and parameters are copied from the releases as they are.
 *
 * @example
 * ```ts
 * const rows = tableRows([{ release, windowId: '2016-08' }]);
 * // [{ release_id: 'sessions_per_continent/2016-08', partition_key: 'Africa', statistic: 'count', … }]
 * ```
 */
export function tableRows(records: readonly WindowedRelease[]): TableRow[] {
  const ordered = [...records].sort(
    (a, b) =>
      cmp(a.release.analysis, b.release.analysis) ||
      cmp(a.release.window.start, b.release.window.start) ||
      cmp(a.windowId, b.windowId),
  );
  return ordered.flatMap(rowsOf);
}

function rowsOf({ release, windowId }: WindowedRelease): TableRow[] {
  const releaseId = `${release.analysis}/${windowId}`;
  const checked = additiveSchema.safeParse(release);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new DamagedStateError(
      `release record private/releases/${releaseId}.json`,
      `malformed statistics: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      'restore it from a backup',
    );
  }
  const extra = checked.data;
  const outputs = extra.outputs ?? [release.statistic];
  const p = release.privacy;
  const rows: TableRow[] = [];
  release.partitions.forEach((partition, i) => {
    const stats = extra.partitions[i]?.statistics;
    for (const [j, name] of outputs.entries()) {
      // release@1 readers' copy of the first output is the fallback for releases without `statistics`.
      const out = stats?.[name] ?? (j === 0 ? { value: partition.value, ci95: partition.ci95 } : undefined);
      if (out === undefined) continue;
      rows.push({
        release_id: releaseId,
        analysis: release.analysis,
        description: release.description,
        window_start: release.window.start,
        window_end: release.window.end,
        partition_by: release.partition_by,
        partition_key: partition.key,
        statistic: name,
        value: out.value,
        ci95_lower: out.ci95[0],
        ci95_upper: out.ci95[1],
        unit: unitOf(name, p.unit),
        epsilon: p.epsilon,
        delta: p.delta,
        mechanism: extra.privacy.statistics?.[name]?.mechanism ?? p.mechanism,
      });
    }
  });
  return rows;
}

function unitOf(output: string, unit: string | undefined): string | null {
  if (unit === undefined || UNITLESS.has(output)) return null;
  return output === 'variance' ? `${unit}²` : unit;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
