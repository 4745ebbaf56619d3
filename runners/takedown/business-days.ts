/**
 * Business days for the counter-notice clock of 17 U.S.C. 512(g)(2)(C): the service provider puts
 * the material back "not less than 10, nor more than 14, business days following receipt of the
 * counter notice", unless the copyright owner has filed an action first. Business days skip
 * weekends and the US federal holidays of 5 U.S.C. 6103, computed by rule (so no table runs out),
 * each on its observed day: a Saturday holiday on the Friday before, a Sunday one on the Monday
 * after (New Year's Day on a Saturday is observed on 31 December of the year before). Days are
 * calendar days, 'yyyy-MM-dd', with no time zone: the day the counter-notice arrived. Pure.
 */

export type Day = string;

const MS_PER_DAY = 86_400_000;

function toTime(day: Day): number {
  return Date.parse(`${day}T00:00:00Z`);
}

function fromTime(time: number): Day {
  return new Date(time).toISOString().slice(0, 10);
}

/** The day if `text` is a real calendar day (2026-02-30 is not), else undefined. */
export function parseDay(text: string): Day | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const time = toTime(text);
  return !Number.isNaN(time) && fromTime(time) === text ? text : undefined;
}

export function addDays(day: Day, n: number): Day {
  return fromTime(toTime(day) + n * MS_PER_DAY);
}

/** 0 Sunday … 6 Saturday. */
function weekday(day: Day): number {
  return new Date(toTime(day)).getUTCDay();
}

const ymd = (year: number, month: number, date: number): Day => fromTime(Date.UTC(year, month - 1, date));

/** The n-th (1-based) given weekday of a month, or the last one when n is -1. */
function nthWeekday(year: number, month: number, wd: number, n: number): Day {
  if (n === -1) {
    const last = ymd(year, month + 1, 0);
    return addDays(last, -((weekday(last) - wd + 7) % 7));
  }
  const first = ymd(year, month, 1);
  return addDays(first, ((wd - weekday(first) + 7) % 7) + (n - 1) * 7);
}

/** A fixed-date holiday moved to its observed day. */
function observed(day: Day): Day {
  const wd = weekday(day);
  return wd === 6 ? addDays(day, -1) : wd === 0 ? addDays(day, 1) : day;
}

export interface Holiday {
  /** The observed day: the day federal offices close. */
  day: Day;
  name: string;
}

/** The holidays of 5 U.S.C. 6103 whose observed day falls in `year`, in order. */
export function federalHolidays(year: number): Holiday[] {
  const of = (y: number): Holiday[] => [
    { day: observed(ymd(y, 1, 1)), name: "New Year's Day" },
    { day: nthWeekday(y, 1, 1, 3), name: 'Birthday of Martin Luther King, Jr.' },
    { day: nthWeekday(y, 2, 1, 3), name: "Washington's Birthday" },
    { day: nthWeekday(y, 5, 1, -1), name: 'Memorial Day' },
    // Juneteenth National Independence Day, a federal holiday since 17 June 2021.
    ...(y >= 2021 ? [{ day: observed(ymd(y, 6, 19)), name: 'Juneteenth National Independence Day' }] : []),
    { day: observed(ymd(y, 7, 4)), name: 'Independence Day' },
    { day: nthWeekday(y, 9, 1, 1), name: 'Labor Day' },
    { day: nthWeekday(y, 10, 1, 2), name: 'Columbus Day' },
    { day: observed(ymd(y, 11, 11)), name: 'Veterans Day' },
    { day: nthWeekday(y, 11, 4, 4), name: 'Thanksgiving Day' },
    { day: observed(ymd(y, 12, 25)), name: 'Christmas Day' },
  ];
  // New Year's Day of the next year may be observed on 31 December of this one (and this year's on
  // 31 December of the last, which then belongs to that year).
  return [...of(year), ...of(year + 1).slice(0, 1)].filter((h) => h.day.startsWith(`${year}-`));
}

const holidayCache = new Map<number, Map<Day, string>>();

/** The federal holiday observed on `day`, if any. */
export function holidayOn(day: Day): string | undefined {
  const year = Number(day.slice(0, 4));
  let days = holidayCache.get(year);
  if (!days) {
    days = new Map(federalHolidays(year).map((h) => [h.day, h.name]));
    holidayCache.set(year, days);
  }
  return days.get(day);
}

export function isBusinessDay(day: Day): boolean {
  const wd = weekday(day);
  return wd !== 0 && wd !== 6 && holidayOn(day) === undefined;
}

/** The n-th business day after `day` (n ≥ 1; `day` itself never counts). */
export function addBusinessDays(day: Day, n: number): Day {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`addBusinessDays needs a whole number of days ≥ 1, not ${n}`);
  let d = day;
  for (let left = n; left > 0;) {
    d = addDays(d, 1);
    if (isBusinessDay(d)) left--;
  }
  return d;
}

/** Business days after `from` up to and including `to` (0 when `to` is not after `from`). */
export function businessDaysBetween(from: Day, to: Day): number {
  let n = 0;
  for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (isBusinessDay(d)) n++;
  return n;
}

export const RESTORE_NOT_BEFORE = 10;
export const RESTORE_NOT_AFTER = 14;

export interface RestoreWindow {
  /** The 10th business day after receipt: the material may come back from this day on. */
  earliest: Day;
  /** The 14th business day after receipt: it must be back by this day. */
  latest: Day;
}

/** When the service provider restores the material after a counter-notice received on `received`. */
export function restoreWindow(received: Day): RestoreWindow {
  return { earliest: addBusinessDays(received, RESTORE_NOT_BEFORE), latest: addBusinessDays(received, RESTORE_NOT_AFTER) };
}
