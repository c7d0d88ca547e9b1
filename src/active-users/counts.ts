/**
 * Exact pre-noise activity counts: the interface `openActivity` of `src/activity/` provides
 * (erased users excluded, each user counted once across key rotations). Repeated here, by
 * shape, so DAU/MAU releases depend only on what they use.
 */
export interface ActivityCounts {
  /** Exact distinct active users on `day` (YYYY-MM-DD). */
  dau(day: string): Promise<number>;
  /** Exact distinct users active at least once in [start, end] (inclusive). */
  distinctUsers(start: string, end: string): Promise<number>;
  /** One entry per user (no ids): the sorted distinct days they were active in [start, end]. */
  activeDaysByUser(start: string, end: string): Promise<readonly (readonly string[])[]>;
}
