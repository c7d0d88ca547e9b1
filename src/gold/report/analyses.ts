import type { Release } from '../release.js';
import { cmp } from './words.js';

/** The releases of one analysis, latest window first: how the report shows them. */
export interface AnalysisGroup<R> {
  readonly analysis: string;
  /** Latest window first (by window start, then end, then window id). */
  readonly releases: readonly R[];
}

/**
 * Groups releases by analysis (analyses by name), each group latest window first. The report
 * opens the latest window of each analysis and draws its chart; older windows are collapsed.
 *
 * @example
 * ```ts
 * const [first] = byAnalysis(records); // { analysis, releases: [latest, …] }
 * ```
 */
export function byAnalysis<R extends { readonly release: Release; readonly windowId: string }>(
  releases: readonly R[],
): AnalysisGroup<R>[] {
  const groups = new Map<string, R[]>();
  for (const r of releases) {
    const list = groups.get(r.release.analysis) ?? [];
    if (list.length === 0) groups.set(r.release.analysis, list);
    list.push(r);
  }
  return [...groups.keys()].sort().map((analysis) => ({
    analysis,
    releases: groups
      .get(analysis)!
      .sort(
        (a, b) =>
          cmp(b.release.window.start, a.release.window.start) ||
          cmp(b.release.window.end, a.release.window.end) ||
          cmp(b.windowId, a.windowId),
      ),
  }));
}
