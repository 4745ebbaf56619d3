import type { MonitoringJobStatus } from '../../core/status.js';
import { DAY_MS, dayStart, daysOf, isoDay, type Period } from './period.js';

/**
 * The usage report, pure: from monitoring jobs with their status history, the titles' release
 * dates and a month, the rows finance bills. A title is billed for a month when one of its jobs was
 * Monitoring on any day of that month on or after the title's release date (as the seed service
 * bills): a reservation before release, days before release and days after a stop are not billed.
 * Days are UTC calendar days; a day counts when the job was Monitoring at any moment of it.
 */

export type Tier = 'standard' | 'premium';

/** One status a job took, from `at` until the next entry (or `now`). */
export interface JobHistoryEntry {
  at: Date;
  status: MonitoringJobStatus;
  tier: Tier;
  /** The job's start and stop (yyyy-MM-dd) as they were then. */
  startDate: string;
  stopDate: string | null;
}

export interface UsageJob {
  jobId: string;
  contentId: string;
  title: string;
  /** The title's release date, yyyy-MM-dd. */
  releaseDate: string;
  /** In time order. */
  history: JobHistoryEntry[];
}

export interface UsageRow {
  contentId: string;
  title: string;
  jobIds: string[];
  releaseDate: string;
  /** premium when any billed day was premium (a month bills whole, at the higher tier), else standard; with no day billed, the tier the job had last in the month. */
  tier: Tier;
  /** Days of the month the title was monitored after its release. */
  days: number;
  premiumDays: number;
  /** The month is billed: days > 0. */
  billable: boolean;
  firstDay: string | null;
  lastDay: string | null;
  /** Why a row reads as it does: released, stopped, reserved, tier changed mid-month. */
  notes: string[];
}

interface Interval {
  from: number;
  to: number;
  entry: JobHistoryEntry;
}

function intervals(history: readonly JobHistoryEntry[], now: Date): Interval[] {
  const sorted = [...history].sort((a, b) => a.at.getTime() - b.at.getTime());
  return sorted.map((entry, i) => ({ from: entry.at.getTime(), to: (sorted[i + 1]?.at ?? now).getTime(), entry }));
}

/** The tier the job was monitored at on `day`, or undefined when it was not monitored (after release, within start/stop) that day. */
function monitoredTier(spans: readonly Interval[], day: string, releaseDate: string): Tier | undefined {
  if (day < releaseDate) return undefined;
  const from = dayStart(day).getTime();
  const to = from + DAY_MS;
  let tier: Tier | undefined;
  for (const s of spans) {
    const e = s.entry;
    if (e.status !== 'Monitoring' || s.to <= from || s.from >= to) continue;
    // A scheduler runs from its start date through its stop date; a row not yet moved to Stopped by an apply is past it.
    if (day < e.startDate || (e.stopDate !== null && day > e.stopDate)) continue;
    if (e.tier === 'premium') return 'premium';
    tier = 'standard';
  }
  return tier;
}

/** Whether the job was anything but Stopped during some of the month: a reservation or a failed registration is listed, not billed. */
function activeIn(spans: readonly Interval[], start: number, end: number): boolean {
  return spans.some((s) => s.entry.status !== 'Stopped' && s.to > start && s.from < end);
}

/** The tier a title's jobs had last before `end` (premium if any had it): what an unbilled row shows. */
function tierInMonth(spans: readonly Interval[][], end: number): Tier {
  const last = spans.map((s) => s.filter((i) => i.from < end).at(-1)?.entry.tier);
  return last.includes('premium') ? 'premium' : 'standard';
}

export function usageRows(jobs: readonly UsageJob[], month: Period, now: Date): UsageRow[] {
  const end = Math.min(month.end.getTime(), now.getTime());
  const days = daysOf(month.start, new Date(Math.ceil(end / DAY_MS) * DAY_MS));
  const byContent = new Map<string, UsageJob[]>();
  for (const job of jobs) byContent.set(job.contentId, [...(byContent.get(job.contentId) ?? []), job]);
  const rows: UsageRow[] = [];
  for (const [contentId, list] of byContent) {
    const spans = list.map((job) => intervals(job.history, now));
    if (!spans.some((s) => activeIn(s, month.start.getTime(), end))) continue;
    const { title, releaseDate } = list[0]!;
    const billed: { day: string; tier: Tier }[] = [];
    for (const day of days) {
      const tiers = spans.map((s) => monitoredTier(s, day, releaseDate));
      if (tiers.includes('premium')) billed.push({ day, tier: 'premium' });
      else if (tiers.includes('standard')) billed.push({ day, tier: 'standard' });
    }
    const premiumDays = billed.filter((b) => b.tier === 'premium').length;
    rows.push({
      contentId, title, jobIds: list.map((j) => j.jobId).sort(), releaseDate,
      tier: premiumDays > 0 ? 'premium' : billed.length > 0 ? 'standard' : tierInMonth(spans, end), days: billed.length, premiumDays, billable: billed.length > 0,
      firstDay: billed[0]?.day ?? null, lastDay: billed.at(-1)?.day ?? null,
      notes: notesFor(list, spans, billed, month, releaseDate),
    });
  }
  return rows.sort((a, b) => a.title.localeCompare(b.title) || a.contentId.localeCompare(b.contentId));
}

function notesFor(jobs: readonly UsageJob[], spans: readonly Interval[][], billed: readonly { day: string; tier: Tier }[], month: Period, releaseDate: string): string[] {
  const notes: string[] = [];
  const first = isoDay(month.start);
  const last = isoDay(new Date(month.end.getTime() - DAY_MS));
  if (releaseDate > last) notes.push(`reserved: released ${releaseDate}`);
  else if (releaseDate > first) notes.push(`released ${releaseDate}`);
  const tiers = new Set(billed.map((b) => b.tier));
  if (tiers.size > 1) {
    const change = billed.find((b, i) => i > 0 && b.tier !== billed[i - 1]!.tier);
    if (change) notes.push(`${change.tier} from ${change.day}`);
  }
  const lastBilled = billed.at(-1)?.day;
  if (lastBilled !== undefined && lastBilled < last) {
    const stopped = spans.flat().some((s) => s.entry.status === 'Stopped' || (s.entry.stopDate !== null && s.entry.stopDate < last));
    if (stopped) notes.push(`stopped after ${lastBilled}`);
  }
  if (billed.length === 0 && releaseDate <= last && jobs.length > 0) notes.push('not monitored after release this month');
  return notes;
}
