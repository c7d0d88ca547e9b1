/**
 * The days and calendar months of a generated window, in the GA360 property's time zone
 * (America/Los_Angeles), where `date` is the local day of `visitStartTime`.
 */

export const TIME_ZONE = 'America/Los_Angeles';

export interface Day {
  /** `YYYYMMDD`, the export's `date`. */
  readonly ymd: string;
  readonly year: number;
  readonly month: number;
  /** Day of the month, 1-based. */
  readonly dom: number;
  /** Local midnight, Unix seconds. */
  readonly start: number;
  /** Length of the local day in seconds (23, 24 or 25 hours). */
  readonly seconds: number;
}

export interface Month {
  /** `YYYY-MM`. */
  readonly key: string;
  /** `year * 12 + month - 1`: fixes the month's draws whatever window it is seen through. */
  readonly serial: number;
  readonly daysInMonth: number;
  /** The month's days inside the window, in order. */
  readonly days: readonly Day[];
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` to a UTC-midnight epoch in ms, or undefined if it is not a real date. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return t;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `days` consecutive local days from `startDate` (`YYYY-MM-DD`), grouped by calendar month. */
export function calendarMonths(startUtcMs: number, days: number): Month[] {
  const local = new LocalMidnight(TIME_ZONE);
  const months: { key: string; serial: number; daysInMonth: number; days: Day[] }[] = [];
  let next = local.midnight(startUtcMs);
  for (let i = 0; i < days; i++) {
    const dayMs = startUtcMs + i * 86_400_000;
    const date = new Date(dayMs);
    const [year, month, dom] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const start = next;
    next = local.midnight(dayMs + 86_400_000);
    const key = `${year}-${pad2(month)}`;
    let current = months[months.length - 1];
    if (current?.key !== key) {
      current = {
        key,
        serial: year * 12 + month - 1,
        daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
        days: [],
      };
      months.push(current);
    }
    current.days.push({
      ymd: `${year}${pad2(month)}${pad2(dom)}`,
      year,
      month,
      dom,
      start,
      seconds: next - start,
    });
  }
  return months;
}

/** Local midnight of a calendar day in an IANA time zone, via `Intl` (once per day). */
class LocalMidnight {
  private readonly format: Intl.DateTimeFormat;

  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Unix seconds of local midnight on the calendar day whose UTC midnight is `utcMidnightMs`. */
  midnight(utcMidnightMs: number): number {
    // Two rounds of "subtract the zone offset at the guess" settle, because midnight is never
    // inside a DST gap in zones that switch at 02:00 local.
    let t = utcMidnightMs - this.offsetMs(utcMidnightMs);
    t = utcMidnightMs - this.offsetMs(t);
    return t / 1000;
  }

  /** Local wall-clock time minus UTC at instant `t`. */
  private offsetMs(t: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(t)))
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wall = Date.UTC(
      parts.year!,
      parts.month! - 1,
      parts.day!,
      parts.hour!,
      parts.minute!,
      parts.second!,
    );
    return wall - t;
  }
}
