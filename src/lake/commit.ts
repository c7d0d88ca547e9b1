import type { Lake } from '../storage/index.js';
import {
  RUN_DATASETS,
  RUNS_PREFIX,
  runIdOfDataFile,
  runIdOfQuarantineKey,
  runIdOfReportKey,
  type RunDataset,
} from './layout.js';
import type { RunId } from './run-id.js';

/**
 * The commit rule, in one place: a run's Silver, activity-ledger, blob-index and quarantine files
 * count once its report `private/runs/<run>.json` exists. Every reader sees the lake through a
 * `CommittedView`; recovery removes what is outside it.
 *
 * @example
 * ```ts
 * const view = await CommittedView.open(lake);
 * const silver = await view.files('silver'); // committed Silver keys, sorted
 * ```
 */
export class CommittedView {
  private constructor(
    private readonly lake: Lake,
    /** Run ids whose report exists. */
    readonly runs: ReadonlySet<RunId>,
  ) {}

  static async open(lake: Lake): Promise<CommittedView> {
    return new CommittedView(lake, await committedRuns(lake));
  }

  has(run: RunId): boolean {
    return this.runs.has(run);
  }

  /** The latest committed run, if any. */
  latest(): RunId | undefined {
    return [...this.runs].sort().at(-1);
  }

  /** Committed files of `dataset`, in key order; `keep` filters by key first. */
  async files(dataset: RunDataset, keep: (key: string) => boolean = () => true): Promise<string[]> {
    const { container, prefix } = RUN_DATASETS[dataset];
    const keys: string[] = [];
    for await (const obj of this.lake.objects(container).list(prefix)) {
      const run = runIdOfDataFile(obj.key);
      if (run !== undefined && this.runs.has(run) && keep(obj.key)) keys.push(obj.key);
    }
    return keys;
  }

  /**
   * Files written by runs outside the view (no report) other than `except`: what a crashed run
   * left. Under the lake lease no other writer is alive, so these are all dead runs' files.
   */
  async *uncommitted(except?: RunId): AsyncIterable<{ container: 'silver' | 'private' | 'quarantine'; key: string }> {
    for (const { container, prefix } of Object.values(RUN_DATASETS)) {
      for await (const obj of this.lake.objects(container).list(prefix)) {
        const run = runIdOfDataFile(obj.key);
        if (run !== undefined && run !== except && !this.runs.has(run)) yield { container, key: obj.key };
      }
    }
    for await (const obj of this.lake.objects('quarantine').list('')) {
      const run = runIdOfQuarantineKey(obj.key);
      if (run !== undefined && run !== except && !this.runs.has(run))
        yield { container: 'quarantine', key: obj.key };
    }
  }
}

/** Run ids whose report exists: their files are committed. */
async function committedRuns(lake: Lake): Promise<Set<RunId>> {
  const runs = new Set<RunId>();
  for await (const obj of lake.objects('private').list(RUNS_PREFIX)) {
    const id = runIdOfReportKey(obj.key);
    if (id !== undefined) runs.add(id);
  }
  return runs;
}
