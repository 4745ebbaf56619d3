import { describe, expect, it } from 'vitest';
import { parseMonth, parseQuarter, previousMonth, previousQuarter } from '../../../runners/report/period.js';
import { usageRows, type JobHistoryEntry, type UsageJob } from '../../../runners/report/usage.js';
import { formatUsage } from '../../../runners/report/usage-format.js';
import { isVigilError } from '../../../core/errors.js';

const JULY = parseMonth('2026-07', new Date('2026-08-02T00:00:00Z'));
const AFTER = new Date('2026-08-15T12:00:00Z');

function at(iso: string): Date {
  return new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
}

function entry(when: string, status: JobHistoryEntry['status'], more: Partial<JobHistoryEntry> = {}): JobHistoryEntry {
  return { at: at(when), status, tier: 'standard', startDate: '2026-01-01', stopDate: null, ...more };
}

function job(history: JobHistoryEntry[], more: Partial<UsageJob> = {}): UsageJob {
  return { jobId: 'j1', contentId: 'c1', title: 'Title', releaseDate: '2026-01-01', history, ...more };
}

describe('usage rows', () => {
  it('bills a whole month of monitoring as 31 standard days', () => {
    const [row] = usageRows([job([entry('2026-03-01', 'Monitoring')])], JULY, AFTER);
    expect(row).toMatchObject({ tier: 'standard', days: 31, premiumDays: 0, billable: true, firstDay: '2026-07-01', lastDay: '2026-07-31', notes: [] });
  });

  it('counts a title released mid-month from its release day only, though its job ran before (a start before release)', () => {
    const [row] = usageRows([job([entry('2026-07-01T08:00:00Z', 'Monitoring', { startDate: '2026-07-01' })], { releaseDate: '2026-07-20' })], JULY, AFTER);
    expect(row).toMatchObject({ days: 12, billable: true, firstDay: '2026-07-20', lastDay: '2026-07-31' });
    expect(row!.notes).toContain('released 2026-07-20');
  });

  it('counts a job stopped mid-month up to the day it stopped (that day included: it monitored on it)', () => {
    const history = [entry('2026-06-01', 'Monitoring'), entry('2026-07-10T15:30:00Z', 'Stopped')];
    const [row] = usageRows([job(history)], JULY, AFTER);
    expect(row).toMatchObject({ days: 10, firstDay: '2026-07-01', lastDay: '2026-07-10', billable: true });
    expect(row!.notes).toContain('stopped after 2026-07-10');
  });

  it('stops counting at the stop date even when the row stayed Monitoring (no apply ran since)', () => {
    const [row] = usageRows([job([entry('2026-06-01', 'Monitoring', { stopDate: '2026-07-04' })])], JULY, AFTER);
    expect(row).toMatchObject({ days: 4, lastDay: '2026-07-04' });
  });

  it('lists a reservation before release (Scheduled) without billing it', () => {
    const [row] = usageRows([job([entry('2026-05-01', 'Scheduled', { startDate: '2026-09-01' })], { releaseDate: '2026-09-01' })], JULY, AFTER);
    expect(row).toMatchObject({ days: 0, billable: false, firstDay: null });
    expect(row!.notes).toContain('reserved: released 2026-09-01');
  });

  it('bills the month when a reservation starts monitoring on its release day', () => {
    const history = [entry('2026-05-01', 'Scheduled', { startDate: '2026-07-31' }), entry('2026-07-31T00:05:00Z', 'Monitoring', { startDate: '2026-07-31' })];
    const [row] = usageRows([job(history, { releaseDate: '2026-07-31' })], JULY, AFTER);
    expect(row).toMatchObject({ days: 1, billable: true, firstDay: '2026-07-31' });
  });

  it('bills a month with a change to premium at premium, counting the premium days', () => {
    const history = [entry('2026-06-01', 'Monitoring'), entry('2026-07-21T09:00:00Z', 'Monitoring', { tier: 'premium' })];
    const [row] = usageRows([job(history)], JULY, AFTER);
    expect(row).toMatchObject({ tier: 'premium', days: 31, premiumDays: 11 });
    expect(row!.notes).toContain('premium from 2026-07-21');
  });

  it('leaves out a job stopped before the month, and counts nothing after now in the current month', () => {
    const stopped = job([entry('2026-01-01', 'Monitoring'), entry('2026-06-30', 'Stopped')], { jobId: 'old', contentId: 'old' });
    const running = job([entry('2026-06-01', 'Monitoring')], { jobId: 'new', contentId: 'new', title: 'New' });
    const rows = usageRows([stopped, running], JULY, at('2026-07-09T10:00:00Z'));
    expect(rows.map((r) => r.contentId)).toEqual(['new']);
    expect(rows[0]).toMatchObject({ days: 9, lastDay: '2026-07-09' });
  });

  it('counts a title once when two jobs watch it, at the higher tier of each day', () => {
    const a = job([entry('2026-06-01', 'Monitoring'), entry('2026-07-16', 'Stopped')], { jobId: 'a' });
    const b = job([entry('2026-07-10', 'Monitoring', { tier: 'premium' })], { jobId: 'b' });
    const [row] = usageRows([a, b], JULY, AFTER);
    expect(row).toMatchObject({ jobIds: ['a', 'b'], days: 31, premiumDays: 22, tier: 'premium' });
  });

  it('does not bill a Registration Failed job but lists it', () => {
    const [row] = usageRows([job([entry('2026-06-01', 'Registration Failed')])], JULY, AFTER);
    expect(row).toMatchObject({ days: 0, billable: false });
  });
});

describe('periods and formats', () => {
  it('reads months and quarters, and refuses bad or future ones with VIGIL-E0720', () => {
    expect(parseQuarter('2026-Q3', AFTER)).toMatchObject({ label: '2026-Q3', start: at('2026-07-01'), end: at('2026-10-01') });
    expect(previousMonth(at('2026-01-01T09:00:00Z'))).toMatchObject({ label: '2025-12', start: at('2025-12-01'), end: at('2026-01-01') });
    expect(previousQuarter(at('2026-10-01T09:00:00Z'))).toMatchObject({ label: '2026-Q3', start: at('2026-07-01') });
    expect(previousQuarter(at('2026-01-01T09:00:00Z'))).toMatchObject({ label: '2025-Q4', end: at('2026-01-01') });
    for (const bad of [() => parseMonth('2026-13'), () => parseMonth('July'), () => parseQuarter('2026-Q5'), () => parseMonth('2099-01')]) {
      try { bad(); expect.unreachable(); } catch (error) { expect(isVigilError(error, 'REPORT_PERIOD_INVALID')).toBe(true); expect((error as Error & { code: string }).code).toBe('VIGIL-E0720'); }
    }
  });

  it('writes CSV a spreadsheet reads as text, quoting commas and guarding formulas', () => {
    const rows = usageRows([job([entry('2026-06-01', 'Monitoring')], { title: '=HYPERLINK("x"), part 2' })], JULY, AFTER);
    const csv = formatUsage(rows, JULY, 'csv');
    expect(csv.split('\r\n')[0]).toBe('title,content,tier,days,premium_days,billable,first_day,last_day,release_date,jobs,notes');
    expect(csv.split('\r\n')[1]).toBe(`"'=HYPERLINK(""x""), part 2",c1,standard,31,0,yes,2026-07-01,2026-07-31,2026-01-01,j1,`);
    expect(JSON.parse(formatUsage(rows, JULY, 'json'))).toMatchObject({ month: '2026-07', summary: { billable: 1, standard: 1 }, rows: [{ days: 31 }] });
    expect(formatUsage(rows, JULY, 'table')).toContain('1 of 1 title(s) billable: 1 standard, 0 premium');
  });
});
