import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setImmediate } from 'node:timers/promises';
import { createGzip, type ZlibOptions } from 'node:zlib';
import { UserError } from '../errors.js';
import { calendarMonths, type Day, type Month, parseIsoDate } from './calendar.js';
import { fmix32, seedWords, SplitMix32, Xoshiro128 } from './prng.js';
import { SessionComposer } from './session.js';
import { MonthTally, type Truth } from './truth.js';

export type { MonthTruth, Truth } from './truth.js';

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Output directory: Bronze goes to `<out>/bronze/synthetic/…`, the answers to `<out>/truth.json`. */
  out: string;
  /** Number of consecutive days, starting at `startDate`. */
  days: number;
  /** Number of distinct users (at most 2^32 − 1). */
  users: number;
  /** The same seed (and options) writes the same bytes. */
  seed: string;
  /** First day, `YYYY-MM-DD` in America/Los_Angeles. Default `'2016-08-01'`. */
  startDate?: string;
  /**
   * Sessions each user has in each calendar month, each on a uniformly drawn day of that month
   * (those falling outside the window are not written). Default 1: then nobody has more than one
   * session per month, so bounding contributions with L0 = Linf = 1 per month drops nothing and
   * `truth.json` is the exact answer of the bounded analyses. Above 1, `truth.json` holds the
   * unbounded values, which bounding will change.
   */
  sessionsPerUserPerMonth?: number;
  /**
   * Write each session's `hits` array as a GA360 BigQuery export does (pages, events, products,
   * custom dimensions; ~2.4 KB per hit, so a 500-hit session is a ~1.2 MB line). Default false:
   * session-level lines (~0.5 KB). The session-level values and `truth.json` are the same either way.
   */
  fullSchema?: boolean;
  /**
   * With `fullSchema`: every session has exactly this many hits (`totals.hits` and the array),
   * e.g. 3000 for ~8 MB lines. Changes the session-level values, and `truth.json` with them.
   */
  hitsPerSession?: number;
  /** Called as sessions are written; `total` is known from the start. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link generate} wrote. */
export interface GenerateResult {
  /** The Bronze files, one per day, in day order. */
  files: string[];
  sessions: number;
  /** `<out>/truth.json`. */
  truthFile: string;
}

const DEFAULT_START = '2016-08-01';
/** Fast enough for 10^7 sessions; higher levels shrink files little and cost a lot of time. */
const GZIP_LEVEL = 1;
/** Bytes per write into gzip; a line is well under 2 KiB. */
const CHUNK_BYTES = 1 << 18;
const MAX_LINE_BYTES = 2048;
const MAX_SESSIONS_PER_USER_PER_MONTH = 1000;
/** 30,000 hits are a ~70 MB line: enough to test the longest real sessions. */
const MAX_HITS_PER_SESSION = 30_000;
const MAX_USER_SLOTS = 2 ** 30;
const TWO_POW_32 = 4294967296;

/**
 * Writes synthetic GA360-shaped Bronze data whose true answers are known: one gzip NDJSON file
 * per day at `<out>/bronze/synthetic/YYYY/MM/DD/ga_sessions_YYYYMMDD.ndjson.gz`, lines in the
 * shape of the BigQuery export (integers as strings, nulls omitted), and `<out>/truth.json` with
 * each month's sessions per continent, mean clamped session duration per device and distinct
 * users.
 *
 * Each user has a fixed continent, country, device and browser; channel and traffic source vary
 * by session. Sessions are streamed through gzip one day at a time, so memory grows only with
 * `users × sessionsPerUserPerMonth` (about 5 bytes each, plus 2–4 bytes per user), not with the
 * number of sessions. The same seed and options give byte-identical files.
 *
 * @example
 * const { sessions, truthFile } = await generate({ out: '/tmp/synth', days: 31, users: 100_000, seed: 'demo' });
 * const truth = JSON.parse(await readFile(truthFile, 'utf8')) as Truth;
 * truth.months['2016-08']?.sessions_per_continent.Americas; // exact count
 */
export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const { days, users, seed } = opts;
  const startDate = opts.startDate ?? DEFAULT_START;
  const perMonth = opts.sessionsPerUserPerMonth ?? 1;
  const startMs = parseIsoDate(startDate);
  if (startMs === undefined) throw new UserError(`startDate: '${startDate}' is not a YYYY-MM-DD date`);
  if (!Number.isInteger(days) || days < 1) throw new UserError(`days: ${days} is not a positive integer`);
  if (!Number.isInteger(users) || users < 1 || users >= TWO_POW_32) {
    throw new UserError(`users: ${users} is not an integer in 1..${TWO_POW_32 - 1}`);
  }
  if (!Number.isInteger(perMonth) || perMonth < 1 || perMonth > MAX_SESSIONS_PER_USER_PER_MONTH) {
    throw new UserError(
      `sessionsPerUserPerMonth: ${perMonth} is not an integer in 1..${MAX_SESSIONS_PER_USER_PER_MONTH}`,
    );
  }
  const fixedHits = opts.hitsPerSession;
  if (
    fixedHits !== undefined &&
    (!opts.fullSchema || !Number.isInteger(fixedHits) || fixedHits < 1 || fixedHits > MAX_HITS_PER_SESSION)
  ) {
    throw new UserError(
      `hitsPerSession: ${fixedHits} needs fullSchema and an integer in 1..${MAX_HITS_PER_SESSION}`,
    );
  }
  if (users * perMonth > MAX_USER_SLOTS) {
    throw new UserError(`users × sessionsPerUserPerMonth is over ${MAX_USER_SLOTS}; split the run`);
  }

  const words = seedWords(seed);
  const keys = new SplitMix32(words[0] ^ words[1] ^ words[2] ^ words[3]);
  const dayKey = keys.nextU32();
  const userKey = keys.nextU32();
  const idKey = keys.nextU32();
  const composer = new SessionComposer(
    userKey,
    idKey,
    opts.fullSchema ? { hitsKey: keys.nextU32(), hitsPerSession: opts.hitsPerSession } : undefined,
  );
  const rng = new Xoshiro128(words);

  const months = calendarMonths(startMs, days);
  const plan = new DayPlan(users, perMonth, dayKey);
  const total = months.reduce((sum, m) => sum + plan.sessionsIn(m), 0);
  const visits = months.length * perMonth < 0xffff ? new Uint16Array(users) : new Uint32Array(users);
  const times: number[] = [];

  const files: string[] = [];
  const truthMonths: Record<string, ReturnType<MonthTally['toJSON']>> = {};
  let done = 0;
  opts.onProgress?.(0, total);

  for (const month of months) {
    const tally = new MonthTally();
    const byDay = plan.assign(month);
    tally.distinctUsers = byDay.distinctUsers;

    for (const day of month.days) {
      const dayUsers = byDay.order.subarray(byDay.offsets[day.dom]!, byDay.offsets[day.dom + 1]!);
      const lines = composeDay(dayUsers, day, {
        rng,
        composer,
        visits,
        tally,
        times,
        longLines: opts.fullSchema === true,
      });
      files.push(
        await writeDay(opts.out, day, lines, (n) => {
          done += n;
          opts.onProgress?.(done, total);
        }),
      );
    }
    truthMonths[month.key] = tally.toJSON();
  }

  const truth: Truth = {
    seed,
    users,
    days,
    start_date: startDate,
    sessions_per_user_per_month: perMonth,
    sessions: done,
    exact_after_bounding: perMonth === 1,
    note:
      perMonth === 1
        ? 'Each user has at most one session per calendar month: bounding with L0 = Linf = 1 per month drops nothing, so these are the exact answers.'
        : 'Users have several sessions per month: these are raw (unbounded) values; per-user contribution bounding will change them.',
    months: truthMonths,
  };
  const truthFile = join(opts.out, 'truth.json');
  await mkdir(opts.out, { recursive: true });
  await writeFile(truthFile, JSON.stringify(truth, null, 2) + '\n');
  return { files, sessions: done, truthFile };
}

/** The Bronze path of a day's file. */
export function dayFile(out: string, day: Pick<Day, 'ymd'>): string {
  const { ymd } = day;
  return join(
    out,
    'bronze',
    'synthetic',
    ymd.slice(0, 4),
    ymd.slice(4, 6),
    ymd.slice(6, 8),
    `ga_sessions_${ymd}.ndjson.gz`,
  );
}

interface DayState {
  readonly rng: Xoshiro128;
  readonly composer: SessionComposer;
  readonly visits: Uint16Array | Uint32Array;
  readonly tally: MonthTally;
  readonly times: number[];
  /** Full-schema lines can be megabytes: they are written as chunks of their own. */
  readonly longLines: boolean;
}

/**
 * One day's lines as UTF-8 chunks, with the number of sessions in each. A user's sessions on the
 * day are consecutive in `users`.
 */
function* composeDay(
  users: Uint32Array,
  day: Day,
  s: DayState,
): Generator<{ bytes: Buffer; sessions: number }> {
  let out = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  let sessions = 0;
  let i = 0;
  while (i < users.length) {
    const u = users[i]!;
    let end = i + 1;
    while (end < users.length && users[end] === u) end++;
    drawStartTimes(s.rng, day, end - i, s.times);
    for (let r = 0; r < end - i; r++) {
      if (used + MAX_LINE_BYTES > out.length) {
        yield { bytes: out.subarray(0, used), sessions };
        // zlib may still hold the previous buffer, so each chunk gets its own.
        out = Buffer.allocUnsafe(CHUNK_BYTES);
        used = 0;
        sessions = 0;
      }
      const line = s.composer.line(s.rng, u, ++s.visits[u]!, s.times[r]!, day.ymd);
      // Buffer#write truncates silently; ≤ 3 UTF-8 bytes per UTF-16 unit bounds the line.
      if (line.length * 3 > MAX_LINE_BYTES) {
        if (!s.longLines) throw new Error(`synthetic line of ${line.length} characters is too long`);
        if (used > 0) yield { bytes: out.subarray(0, used), sessions };
        out = Buffer.allocUnsafe(CHUNK_BYTES);
        used = 0;
        sessions = 0;
        yield { bytes: Buffer.from(line), sessions: 1 };
      } else {
        // Writing each line into the buffer is much cheaper than flattening a long rope string.
        used += out.write(line, used);
        sessions++;
      }
      const f = s.composer.facts;
      s.tally.add(f.continent, f.device, f.timeOnSite);
    }
    i = end;
  }
  if (used > 0) yield { bytes: out.subarray(0, used), sessions };
}

async function writeDay(
  out: string,
  day: Day,
  chunks: Iterable<{ bytes: Buffer; sessions: number }>,
  progress: (sessions: number) => void,
): Promise<string> {
  const path = dayFile(out, day);
  await mkdir(join(path, '..'), { recursive: true });
  const source = async function* (): AsyncGenerator<Buffer> {
    for (const chunk of chunks) {
      yield chunk.bytes;
      progress(chunk.sessions);
      // A macrotask turn lets zlib's completion callback start compressing the chunk just
      // written, so compressing overlaps with composing the next one.
      await setImmediate();
    }
  };
  // Room for a few chunks, so the composer does not wait for zlib to drain after each one.
  const options: ZlibOptions & { writableHighWaterMark: number } = {
    level: GZIP_LEVEL,
    chunkSize: 1 << 16,
    writableHighWaterMark: 4 * CHUNK_BYTES,
  };
  await pipeline(source, createGzip(options), createWriteStream(path));
  return path;
}

/**
 * `count` distinct start times (Unix seconds) within the local day, ascending, so a user's
 * sessions on one day get increasing `visitNumber`s and distinct `visitId`s.
 */
function drawStartTimes(rng: Xoshiro128, day: Day, count: number, into: number[]): void {
  into.length = count;
  for (;;) {
    for (let r = 0; r < count; r++) into[r] = day.start + rng.int(day.seconds);
    if (count === 1) return;
    into.sort((a, b) => a - b);
    let distinct = true;
    for (let r = 1; r < count; r++) if (into[r] === into[r - 1]) distinct = false;
    if (distinct) return;
  }
}

/**
 * Which day of each calendar month each user's sessions fall on. A user's day in a month is a
 * hash of `(seed, user, month, j)`, so months are independent of the window they are seen
 * through and need no state between them; a month is counting-sorted by day into `order`.
 */
class DayPlan {
  private readonly dayOf: Uint8Array;
  private readonly order: Uint32Array;

  constructor(
    private readonly users: number,
    private readonly perMonth: number,
    private readonly key: number,
  ) {
    this.dayOf = new Uint8Array(users * perMonth);
    this.order = new Uint32Array(users * perMonth);
  }

  /** Sessions of `month` inside the window. */
  sessionsIn(month: Month): number {
    if (month.days.length === month.daysInMonth) return this.users * this.perMonth;
    return this.draw(month).inWindow;
  }

  /** Users of `month` grouped by day: day `d`'s users are `order[offsets[d]] .. order[offsets[d + 1] - 1]`. */
  assign(month: Month): { order: Uint32Array; offsets: Uint32Array; distinctUsers: number } {
    const { counts, distinctUsers } = this.draw(month);
    const offsets = new Uint32Array(month.daysInMonth + 2);
    for (let d = 1; d <= month.daysInMonth + 1; d++) offsets[d] = offsets[d - 1]! + counts[d - 1]!;
    const next = offsets.slice();
    const k = this.perMonth;
    for (let i = 0; i < this.dayOf.length; i++) {
      const d = this.dayOf[i]!;
      if (d !== 0) this.order[next[d]!++] = k === 1 ? i : Math.floor(i / k);
    }
    return { order: this.order, offsets, distinctUsers };
  }

  /** Fills `dayOf` (0 = outside the window) and counts per day. */
  private draw(month: Month): { counts: Uint32Array; inWindow: number; distinctUsers: number } {
    const D = month.daysInMonth;
    const first = month.days[0]!.dom;
    const last = month.days[month.days.length - 1]!.dom;
    const counts = new Uint32Array(D + 1);
    const k = this.perMonth;
    const slotKeys = Array.from({ length: k }, (_, j) =>
      fmix32(Math.imul(month.serial * k + j + 1, 0x85ebca77) ^ this.key),
    );
    let inWindow = 0;
    let distinctUsers = 0;
    for (let u = 0; u < this.users; u++) {
      let seen = false;
      for (let j = 0; j < k; j++) {
        const d = 1 + Math.floor((fmix32(Math.imul(u, 0x9e3779b1) ^ slotKeys[j]!) / TWO_POW_32) * D);
        const inside = d >= first && d <= last;
        this.dayOf[u * k + j] = inside ? d : 0;
        if (inside) {
          counts[d]!++;
          seen = true;
        }
      }
      if (seen) distinctUsers++;
    }
    for (let d = first; d <= last; d++) inWindow += counts[d]!;
    return { counts, inWindow, distinctUsers };
  }
}
