import { renderReleaseChart } from '../gold/plot/index.js';
import type { Release } from '../gold/release.js';
import { writeGoldReport } from '../gold/report/index.js';
import { decodeRelease } from '../gold/schema.js';
import { GoldStore } from '../gold/store.js';
import { writeGoldTables } from '../gold/tables/index.js';
import { writeGoldTrends } from '../gold/trends/index.js';
import { crashPoint, goldReleaseKeys, GOLD_RELEASES_PREFIX, parseGoldReleaseKey } from '../lake/index.js';
import type { Charge, PrivacyLedger } from '../ledger/index.js';
import { silentLogger, type Logger } from '../log.js';
import type { Lake } from '../storage/index.js';
import { ReleaseRecords, type ReleaseRecord } from './records.js';

/** One (analysis, window) to release, and what it is charged. */
export interface ReleaseRequest {
  readonly analysis: string;
  readonly windowId: string;
  readonly charge: Charge;
}

/** What became of a request: recorded now (`released`), or served from its record. */
export interface ReleaseOutcome {
  readonly request: ReleaseRequest;
  readonly release: Release;
  readonly status: 'released' | 'already_released';
  /** ε the request's metric grew by for this call (0 when already released). */
  readonly epsilonCharged: number;
  /** Gold object key of the release JSON. */
  readonly path: string;
}

/** Draws and writes a release's chart (the run pipelines PNGs on a worker; others draw inline). */
export interface ChartSink {
  draw(release: Release, windowId: string): Promise<void>;
}

/** Computes the releases of `pending` (called once, only for requests without a record). */
export type ComputeReleases = (pending: readonly ReleaseRequest[]) => Promise<ReadonlyMap<string, Release>>;

export interface ReleaseServiceDeps {
  readonly lake: Lake;
  readonly ledger: PrivacyLedger;
  /** Charts for new and restored releases; `false` draws none (load tests, benchmarks). */
  readonly charts?: ChartSink | false;
  readonly log?: Logger;
}

/** The key `compute` must use for a request's release in the map it returns. */
export function requestKey(r: Pick<ReleaseRequest, 'analysis' | 'windowId'>): string {
  return `${r.analysis}/${r.windowId}`;
}

/**
 * The one release path, for monthly analyses, DAU, MAU and their series alike:
 * record exists → serve it (restoring Gold from it) | else completeness → budget check (all
 * requests together; refused → nothing written) → charge (idempotent per release id) → compute →
 * record (create-only; the authority) → publish (Gold copy of the record, byte for byte) → chart.
 * `index.json` and the report are rebuilt from the records (`publishIndex`).
 *
 * A crash after charging but before recording leaves a charge and nothing published: the next
 * call computes afresh without charging again (nothing was revealed). A crash after recording is
 * finished by the next call from the record, never recomputed.
 *
 * @example
 * ```ts
 * const service = new ReleaseService({ lake, ledger });
 * const [outcome] = await service.release([{ analysis: 'dau', windowId: '2016-08-01', charge }], compute);
 * ```
 */
export class ReleaseService {
  readonly records: ReleaseRecords;
  readonly #gold: GoldStore;

  constructor(private readonly deps: ReleaseServiceDeps) {
    this.records = new ReleaseRecords(deps.lake);
    this.#gold = new GoldStore(deps.lake.objects('gold'));
  }

  /**
   * Releases every request not yet recorded and serves the others from their records.
   * `beforeCompute` runs once, with the requests to compute, before anything is charged (e.g. the
   * completeness check, or reading and checking the input); it may throw to refuse.
   */
  async release(
    requests: readonly ReleaseRequest[],
    compute: ComputeReleases,
    options: { readonly beforeCompute?: (pending: readonly ReleaseRequest[]) => Promise<void> } = {},
  ): Promise<ReleaseOutcome[]> {
    const outcomes = new Map<string, ReleaseOutcome>();
    const pending: ReleaseRequest[] = [];
    for (const request of requests) {
      const record = await this.records.get(request.analysis, request.windowId);
      if (record) {
        await this.ensurePublished(record);
        outcomes.set(requestKey(request), this.outcome(request, record, 'already_released', 0));
      } else {
        pending.push(request);
      }
    }
    if (pending.length > 0) {
      await options.beforeCompute?.(pending);
      // Refused (BudgetExhaustedError): nothing at all is charged, recorded or published.
      await this.deps.ledger.check(pending.map((p) => p.charge));
      const charged = new Map<string, number>();
      for (const p of pending) {
        charged.set(requestKey(p), (await this.deps.ledger.charge(p.charge)).epsilonCharged);
      }
      crashPoint('after-charge');
      const computed = await compute(pending);
      for (const p of pending) {
        const release = computed.get(requestKey(p));
        if (!release) throw new Error(`internal: no release computed for ${requestKey(p)}`);
        const { record, created } = await this.records.create(p.analysis, p.windowId, release);
        await this.publish(record, created);
        const eps = charged.get(requestKey(p)) ?? 0;
        outcomes.set(requestKey(p), this.outcome(p, record, created ? 'released' : 'already_released', eps));
        this.log.info(
          { analysis: p.analysis, window: p.windowId, epsilon_charged: eps, created },
          'release recorded and published',
        );
      }
    }
    return requests.map((r) => outcomes.get(requestKey(r))!);
  }

  /**
   * Makes Gold a faithful publication of every record: a missing or altered release JSON is
   * restored byte-identical (and its chart redrawn), a missing row or chart added. Gold releases
   * without a record (lakes from before records) are adopted as records. Returns how many
   * objects were repaired.
   */
  async restoreAll(): Promise<number> {
    let repaired = await this.adoptUnrecorded();
    for await (const record of this.records.all()) if (await this.ensurePublished(record)) repaired++;
    return repaired;
  }

  /**
   * Rewrites `gold/index.json` from the records, and when `report` (after each run) everything
   * else derived from them: the trend charts across windows (`gold/trends/`), the tables
   * (`gold/tables/`) and `gold/report.html`. All of it is post-processing of the recorded
   * releases: nothing is charged or computed.
   */
  async publishIndex(now: Date, options: { readonly report?: boolean } = {}): Promise<number> {
    const records: { release: Release; windowId: string }[] = [];
    for await (const r of this.records.all()) records.push({ release: r.release, windowId: r.windowId });
    await this.#gold.writeIndex(records, now);
    if (options.report) {
      const gold = this.deps.lake.objects('gold');
      const trends = await writeGoldTrends(gold, records);
      const tables = await writeGoldTables(gold, records);
      await writeGoldReport(gold, this.deps.ledger, now, records);
      this.log.info(
        { releases: records.length, trends: trends.length, table_rows: tables.rows },
        'Gold trends, tables and report rebuilt from the release records',
      );
    }
    return records.length;
  }

  get log(): Logger {
    return this.deps.log ?? silentLogger();
  }

  /** Publishes a record's Gold copy, row and chart where missing or different; true if anything was done. */
  private async ensurePublished(record: ReleaseRecord): Promise<boolean> {
    const rowAdded = await this.records.ensureRow(record);
    const published = await this.#gold.readText(record.analysis, record.windowId);
    if (published !== record.text) {
      if (published !== undefined) {
        this.log.warn(
          { analysis: record.analysis, window: record.windowId },
          'Gold copy differs from its release record: restored from the record',
        );
      }
      await this.publish(record, true);
      return true;
    }
    if (!(await this.#gold.hasCharts(record.analysis, record.windowId))) {
      await this.drawChart(record);
      return true;
    }
    return rowAdded;
  }

  private async publish(record: ReleaseRecord, drawChart: boolean): Promise<void> {
    await this.#gold.publishText(record.analysis, record.windowId, record.text);
    crashPoint('after-publish');
    if (drawChart || !(await this.#gold.hasCharts(record.analysis, record.windowId)))
      await this.drawChart(record);
  }

  private async drawChart(record: ReleaseRecord): Promise<void> {
    const charts = this.deps.charts;
    if (charts === false) return;
    if (charts) return charts.draw(record.release, record.windowId);
    await this.#gold.writeChart(record.analysis, record.windowId, await renderReleaseChart(record.release));
  }

  /**
   * Lakes from before records: a Gold release with a `releases` row but no record becomes its own
   * record (the text analysts already saw). A Gold file without a row was never released by us
   * and is not adopted: its window is computed and the file replaced.
   */
  private async adoptUnrecorded(): Promise<number> {
    const gold = this.deps.lake.objects('gold');
    let adopted = 0;
    for await (const obj of gold.list(GOLD_RELEASES_PREFIX)) {
      const names = parseGoldReleaseKey(obj.key);
      if (!names) continue;
      if (await this.records.get(names.analysis, names.windowId)) continue;
      if (!(await this.deps.lake.tables('releases').get(names.analysis, names.windowId))) continue;
      const text = (await gold.read(obj.key)).toString('utf8');
      await this.records.adopt(names.analysis, names.windowId, text, decodeRelease(text, `gold/${obj.key}`));
      adopted++;
    }
    return adopted;
  }

  private outcome(
    request: ReleaseRequest,
    record: ReleaseRecord,
    status: ReleaseOutcome['status'],
    epsilonCharged: number,
  ): ReleaseOutcome {
    return {
      request,
      release: record.release,
      status,
      epsilonCharged,
      path: goldReleaseKeys(record.analysis, record.windowId).json,
    };
  }
}
