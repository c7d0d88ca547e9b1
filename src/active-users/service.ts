import { isClosed } from '../analyses/index.js';
import type { PipelineConfig } from '../config/index.js';
import { secureRandom, type RandomSource } from '../dp/index.js';
import { UserError } from '../errors.js';
import type { Release } from '../gold/release.js';
import { silentLogger, type Logger } from '../log.js';
import { newRunId } from '../lake/index.js';
import { PrivacyLedger, type PrivacyCost } from '../ledger/index.js';
import { assertBronzeComplete, ReleaseService, requestKey, type ReleaseRequest } from '../release/index.js';
import type { Lake } from '../storage/index.js';
import { activeBudgetState, checkPeriod, type ActiveBudgetState, type ActiveMetric } from './budget.js';
import type { ActivityCounts } from './counts.js';
import { addDays, daysOfMonth, monthOf, monthsBetween, parseDay } from './days.js';
import {
  dauPlan,
  dauRelease,
  mauPlan,
  mauRelease,
  seriesPlan,
  seriesRelease,
  type SeriesKind,
} from './mechanisms.js';

export interface ActiveUsersDeps {
  readonly lake: Lake;
  readonly config: PipelineConfig;
  /** Now, for deciding which days are closed. */
  readonly clock: () => Date;
  /** Exact pre-noise counts (the activity ledger); opened on first use. */
  readonly counts: () => Promise<ActivityCounts>;
  /** Noise source; the secure one unless a test injects a seeded one. */
  readonly rng?: () => RandomSource;
  readonly log?: Logger;
  /** Charts are rendered for every new release unless turned off (load tests, benchmarks). */
  readonly charts?: boolean;
}

/** A release as served: from Gold (`reused`), or computed, charged and published just now. */
export interface ActiveAnswer {
  readonly release: Release;
  readonly reused: boolean;
  /** ε the ledger grew by for this answer (0 when reused). */
  readonly epsilonCharged: number;
  readonly budget: ActiveBudgetState;
  /** Gold object key of the release JSON. */
  readonly path: string;
}

const MAX_WINDOW_DAYS = 366;

/**
 * DAU and rolling MAU releases, and their continual-release series, each computed once per
 * (metric, window), charged to the metric's monthly budget, published to Gold and re-served
 * from there without spending again.
 *
 * Every answer goes through the one release path (`ReleaseService`): a recorded release is served
 * (and its Gold copy restored if lost or altered); otherwise completeness (no unprocessed Bronze
 * blob, else `DataPendingError`) → budget check (refused → `BudgetExhaustedError`, nothing
 * written) → charge (idempotent per release id) → exact count → noise → record (create-only) →
 * publish. Two callers racing on the same release charge it once; the loser of the record serves
 * the winner's.
 *
 * @example
 * ```ts
 * const users = new ActiveUsers({ lake, config, clock: () => new Date(), counts: () => openActivity(lake) });
 * const { release } = await users.dau('2016-08-01');
 * ```
 */
export class ActiveUsers {
  readonly #releases: ReleaseService;
  readonly #ledger: PrivacyLedger;
  readonly #inflight = new Map<string, Promise<ActiveAnswer>>();
  #counts: Promise<ActivityCounts> | undefined;

  constructor(private readonly deps: ActiveUsersDeps) {
    this.#ledger = new PrivacyLedger(deps.lake.tables('budget'), deps.config);
    this.#releases = new ReleaseService({
      lake: deps.lake,
      ledger: this.#ledger,
      ...(deps.charts === false ? { charts: false as const } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    });
  }

  /** The privacy-budget ledger every release is charged to. */
  get ledger(): PrivacyLedger {
    return this.#ledger;
  }

  /** DAU of a closed day. */
  async dau(dayText: string): Promise<ActiveAnswer> {
    const day = parseDay(dayText, 'day');
    this.#checkClosed(day, 'day');
    const cfg = this.deps.config.active_users;
    return this.#release({
      metric: 'dau',
      analysis: 'dau',
      windowId: day,
      period: monthOf(day),
      cost: dauPlan(cfg).cost,
      compute: async (rng, meta) => dauRelease(day, await (await this.#activity()).dau(day), cfg, rng, meta),
    });
  }

  /** Distinct users in the `windowDays` days ending on a closed day `end` (default window from config). */
  async mau(endText: string, windowDays?: number): Promise<ActiveAnswer> {
    const end = parseDay(endText, 'end');
    const cfg = this.deps.config.active_users;
    const window = windowDays ?? cfg.mau.window_days;
    if (!Number.isSafeInteger(window) || window < 1 || window > MAX_WINDOW_DAYS) {
      throw new UserError(
        `window must be a whole number of days from 1 to ${MAX_WINDOW_DAYS}, got '${window}'`,
      );
    }
    this.#checkClosed(end, 'end');
    const start = addDays(end, 1 - window);
    return this.#release({
      metric: 'mau',
      analysis: 'mau',
      windowId: `${end}-w${window}`,
      period: monthOf(end),
      periods: monthsBetween(start, end),
      cost: mauPlan(cfg).cost,
      compute: async (rng, meta) =>
        mauRelease(end, window, await (await this.#activity()).distinctUsers(start, end), cfg, rng, meta),
    });
  }

  /**
   * The continual-release series of a closed month: every day's DAU (`dau`), or every day's
   * rolling MAU (`mau`, default window), as one release under one budget (see `seriesRelease`).
   */
  async series(kind: SeriesKind, month: string, windowDays?: number): Promise<ActiveAnswer> {
    checkPeriod(month);
    const cfg = this.deps.config.active_users;
    const window = kind === 'dau' ? 1 : (windowDays ?? cfg.mau.window_days);
    if (!Number.isSafeInteger(window) || window < 1 || window > MAX_WINDOW_DAYS) {
      throw new UserError(
        `window must be a whole number of days from 1 to ${MAX_WINDOW_DAYS}, got '${window}'`,
      );
    }
    const days = daysOfMonth(month);
    this.#checkClosed(days[days.length - 1]!, 'month');
    return this.#release({
      metric: kind,
      analysis: `${kind}_series`,
      windowId: kind === 'dau' ? month : `${month}-w${window}`,
      period: month,
      periods: monthsBetween(addDays(days[0]!, 1 - window), days[days.length - 1]!),
      cost: seriesPlan(kind, cfg).cost,
      compute: async (rng, meta) => {
        const active = await (
          await this.#activity()
        ).activeDaysByUser(addDays(days[0]!, 1 - window), days[days.length - 1]!);
        const { release, truncatedUsers } = seriesRelease(kind, days, window, active, cfg, rng, meta);
        // An exact tally: logged for operators, never published.
        this.#log.info(
          { analysis: release.analysis, month, truncated_users: truncatedUsers },
          'continual series released',
        );
        return release;
      },
    });
  }

  /** Now, by the service's clock. */
  now(): Date {
    return this.deps.clock();
  }

  async budgetState(metric: ActiveMetric, period: string): Promise<ActiveBudgetState> {
    checkPeriod(period);
    return activeBudgetState(await this.#ledger.state(period), metric, this.deps.config.active_users);
  }

  get #log(): Logger {
    return this.deps.log ?? silentLogger();
  }

  #activity(): Promise<ActivityCounts> {
    if (!this.#counts) {
      const opening = this.deps.counts();
      this.#counts = opening;
      // A failed open is not cached: the next request tries again.
      opening.catch(() => {
        if (this.#counts === opening) this.#counts = undefined;
      });
    }
    return this.#counts;
  }

  #checkClosed(day: string, field: string): void {
    const lateness = this.deps.config.lateness_days;
    if (!isClosed({ id: day, start: day, end: day }, this.deps.clock(), lateness)) {
      throw new UserError(
        `${field} ${day} is not closed yet: releases wait until ${lateness} day(s) after the day ends (UTC); ask again after ${addDays(day, 1 + lateness)}`,
      );
    }
  }

  #release(spec: ReleaseSpec): Promise<ActiveAnswer> {
    const key = `${spec.analysis}/${spec.windowId}`;
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#releaseOnce(spec).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    return p;
  }

  async #releaseOnce(spec: ReleaseSpec): Promise<ActiveAnswer> {
    const releaseId = `${spec.analysis}/${spec.windowId}`;
    const request: ReleaseRequest = {
      analysis: spec.analysis,
      windowId: spec.windowId,
      // A window is charged to every month it covers, so each month's cap bounds what releases
      // reveal about that month's activity. All months are checked before any is charged.
      charge: { metric: spec.metric, releaseId, periods: spec.periods ?? [spec.period], cost: spec.cost },
    };
    const now = this.deps.clock();
    const [outcome] = await this.#releases.release(
      [request],
      async () => {
        const release = await spec.compute(this.deps.rng?.() ?? secureRandom(), {
          createdAt: now.toISOString(),
          runId: newRunId(now),
        });
        return new Map([[requestKey(request), release]]);
      },
      // Complete before released: never a stored undercount from events not yet processed.
      { beforeCompute: () => assertBronzeComplete(this.deps.lake, `${spec.analysis} ${spec.windowId}`) },
    );
    if (outcome!.status === 'released') await this.#releases.publishIndex(now);
    return this.#answer(
      outcome!.release,
      outcome!.status === 'already_released',
      outcome!.epsilonCharged,
      spec,
      outcome!.path,
    );
  }

  async #answer(
    release: Release,
    reused: boolean,
    epsilonCharged: number,
    spec: ReleaseSpec,
    path: string,
  ): Promise<ActiveAnswer> {
    return {
      release,
      reused,
      epsilonCharged,
      budget: await this.budgetState(spec.metric, spec.period),
      path,
    };
  }
}

interface ReleaseSpec {
  readonly metric: ActiveMetric;
  readonly analysis: string;
  readonly windowId: string;
  /** The month whose budget the answer shows: the month of the window's last day. */
  readonly period: string;
  /** Every month the window covers (default: `period` alone); each is charged. */
  readonly periods?: readonly string[];
  readonly cost: PrivacyCost;
  readonly compute: (rng: RandomSource, meta: { createdAt: string; runId: string }) => Promise<Release>;
}
