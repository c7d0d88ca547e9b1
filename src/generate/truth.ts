import { CONTINENT_NAMES, DEVICE_NAMES } from './tables.js';

/** The mean analysis clamps each session's duration to these bounds (ms) before averaging. */
export const DURATION_BOUNDS_MS: readonly [number, number] = [0, 600_000];

/** The exact answers for one calendar month, as written to `truth.json`. */
export interface MonthTruth {
  readonly sessions: number;
  readonly distinct_users: number;
  readonly sessions_per_continent: Record<string, number>;
  /**
   * Per device: sessions with `timeOnSite` present, and the mean of `timeOnSite × 1000` clamped
   * to [0, 600000] over them (`null` when there are none).
   */
  readonly avg_session_duration_per_device: Record<
    string,
    { count: number; sum_ms: number; mean_ms: number | null }
  >;
}

/** The whole `truth.json`. */
export interface Truth {
  readonly seed: string;
  readonly users: number;
  readonly days: number;
  readonly start_date: string;
  readonly sessions_per_user_per_month: number;
  readonly sessions: number;
  /** True when every user has at most one session per month, so L0 = Linf = 1 bounding drops nothing. */
  readonly exact_after_bounding: boolean;
  readonly note: string;
  readonly months: Record<string, MonthTruth>;
}

/** Accumulates one month's answers as sessions are written. */
export class MonthTally {
  sessions = 0;
  distinctUsers = 0;
  private readonly continents = new Float64Array(CONTINENT_NAMES.length);
  private readonly durationCount = new Float64Array(DEVICE_NAMES.length);
  private readonly durationSumMs = new Float64Array(DEVICE_NAMES.length);

  add(continent: number, device: number, timeOnSite: number): void {
    this.sessions++;
    this.continents[continent]!++;
    if (timeOnSite >= 0) {
      const ms = Math.min(DURATION_BOUNDS_MS[1], Math.max(DURATION_BOUNDS_MS[0], timeOnSite * 1000));
      this.durationCount[device]!++;
      this.durationSumMs[device]! += ms;
    }
  }

  toJSON(): MonthTruth {
    const sessions_per_continent: Record<string, number> = {};
    CONTINENT_NAMES.forEach((name, i) => (sessions_per_continent[name] = this.continents[i]!));
    const avg_session_duration_per_device: MonthTruth['avg_session_duration_per_device'] = {};
    DEVICE_NAMES.forEach((name, i) => {
      const count = this.durationCount[i]!;
      // Sums stay below 2^53 (10^7 sessions × 6·10^5 ms), so they and the mean are exact doubles.
      const sum = this.durationSumMs[i]!;
      avg_session_duration_per_device[name] = {
        count,
        sum_ms: sum,
        mean_ms: count === 0 ? null : sum / count,
      };
    });
    return {
      sessions: this.sessions,
      distinct_users: this.distinctUsers,
      sessions_per_continent,
      avg_session_duration_per_device,
    };
  }
}
