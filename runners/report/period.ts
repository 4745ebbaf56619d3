import { VigilError } from '../../core/errors.js';

/** A calendar period in UTC: [start, end), as reports count it. */
export interface Period {
  /** As a person wrote it: 2026-07 or 2026-Q3. */
  label: string;
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

function utc(year: number, monthIndex: number): Date {
  return new Date(Date.UTC(year, monthIndex, 1));
}

function notBegun(label: string, start: Date, now: Date): void {
  if (start.getTime() > now.getTime()) throw new VigilError('REPORT_PERIOD_INVALID', `${label} has not begun yet (it starts ${isoDay(start)})`);
}

/** yyyy-MM, e.g. 2026-07. */
export function parseMonth(text: string, now = new Date()): Period {
  const m = /^(\d{4})-(\d{2})$/.exec(text.trim());
  const month = m ? Number(m[2]) : 0;
  if (!m || month < 1 || month > 12) throw new VigilError('REPORT_PERIOD_INVALID', `--month ${JSON.stringify(text)} is not a month written yyyy-MM (e.g. 2026-07)`);
  const start = utc(Number(m[1]), month - 1);
  notBegun(`month ${m[0]}`, start, now);
  return { label: m[0], start, end: utc(Number(m[1]), month) };
}

/** yyyy-Qn, e.g. 2026-Q3 (July to September). */
export function parseQuarter(text: string, now = new Date()): Period {
  const m = /^(\d{4})-Q([1-4])$/i.exec(text.trim());
  if (!m) throw new VigilError('REPORT_PERIOD_INVALID', `--period ${JSON.stringify(text)} is not a quarter written yyyy-Qn (e.g. 2026-Q3)`);
  const year = Number(m[1]);
  const q = Number(m[2]);
  const start = utc(year, (q - 1) * 3);
  const label = `${year}-Q${q}`;
  notBegun(`quarter ${label}`, start, now);
  return { label, start, end: utc(year, q * 3) };
}

/** The month before the one `now` is in: what the report sent on the 1st covers. */
export function previousMonth(now: Date): Period {
  const start = utc(now.getUTCFullYear(), now.getUTCMonth() - 1);
  return { label: isoDay(start).slice(0, 7), start, end: utc(now.getUTCFullYear(), now.getUTCMonth()) };
}

/** The quarter before the one `now` is in. */
export function previousQuarter(now: Date): Period {
  const thisQuarter = Math.floor(now.getUTCMonth() / 3);
  const start = utc(now.getUTCFullYear(), (thisQuarter - 1) * 3);
  return { label: `${start.getUTCFullYear()}-Q${Math.floor(start.getUTCMonth() / 3) + 1}`, start, end: utc(now.getUTCFullYear(), thisQuarter * 3) };
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Midnight UTC of a yyyy-MM-dd day. */
export function dayStart(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** Every day (yyyy-MM-dd) of [start, end). */
export function daysOf(start: Date, end: Date): string[] {
  const days: string[] = [];
  for (let t = start.getTime(); t < end.getTime(); t += DAY_MS) days.push(isoDay(new Date(t)));
  return days;
}

export { DAY_MS };
