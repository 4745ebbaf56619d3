import { DAY_MS, isoDay, type Period } from './period.js';

/**
 * A creator's report, pure: per work, the links found in the period, how many were removed by its
 * end and how fast, where they were, and the links people reported. A link counts as found in the
 * period it was first seen in; it counts as removed when its takedown status first became Complete
 * before the period ended. Links a person set to Ignore (not infringing, or not pursued) are left out.
 */

export interface WorkFinding {
  id: number;
  host: string;
  /** The catalog Site it belongs to, when known; otherwise the host names the site. */
  siteId: string | null;
  family: string | null;
  firstSeen: Date;
  /** When it first became Complete, if that was before the period's end. */
  removedAt: Date | null;
}

export type ReportOutcome = 'removed' | 'confirmed' | 'rejected' | 'awaiting review';
export const REPORT_OUTCOMES: readonly ReportOutcome[] = ['removed', 'confirmed', 'rejected', 'awaiting review'];

export interface WorkLinkReport {
  reporter: string;
  review: 'pending' | 'queued' | 'confirmed' | 'rejected';
  /** When the finding a confirmed report became was removed, before the period's end. */
  removedAt: Date | null;
}

export interface Work {
  contentId: string;
  title: string;
  findings: WorkFinding[];
  reports: WorkLinkReport[];
}

export interface SiteCount {
  name: string;
  found: number;
  removed: number;
}

export interface WeekCount {
  /** The Monday (UTC) the week starts on, yyyy-MM-dd. */
  week: string;
  found: number;
  removed: number;
}

export interface ReportCount {
  by: 'creator' | 'community';
  outcome: ReportOutcome;
  count: number;
}

export interface WorkReport {
  contentId: string;
  title: string;
  found: number;
  removed: number;
  /** removed / found; null when nothing was found. */
  removalRate: number | null;
  /** Median hours from first seen to removal over the removed links; null when none was removed. */
  medianHoursToRemoval: number | null;
  topSites: SiteCount[];
  topFamilies: SiteCount[];
  weekly: WeekCount[];
  reports: ReportCount[];
}

export interface CreatorReport {
  creator: string;
  period: Period;
  works: WorkReport[];
  totals: { found: number; removed: number; removalRate: number | null; medianHoursToRemoval: number | null; reports: number };
}

export const TOP_N = 10;

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The Monday (UTC) of the week `d` is in. */
export function weekOf(d: Date): string {
  const day = Math.floor(d.getTime() / DAY_MS);
  // 1970-01-01 was a Thursday: day 0 is weekday 3 counting Monday as 0.
  const monday = day - ((day + 3) % 7);
  return isoDay(new Date(monday * DAY_MS));
}

function weeksOf(period: Period): string[] {
  const weeks: string[] = [];
  for (let t = new Date(`${weekOf(period.start)}T00:00:00Z`).getTime(); t < period.end.getTime(); t += 7 * DAY_MS) weeks.push(isoDay(new Date(t)));
  return weeks;
}

function counted(findings: readonly WorkFinding[], key: (f: WorkFinding) => string | null): SiteCount[] {
  const counts = new Map<string, SiteCount>();
  for (const f of findings) {
    const name = key(f);
    if (name === null) continue;
    const c = counts.get(name) ?? { name, found: 0, removed: 0 };
    c.found += 1;
    if (f.removedAt) c.removed += 1;
    counts.set(name, c);
  }
  return [...counts.values()].sort((a, b) => b.found - a.found || b.removed - a.removed || a.name.localeCompare(b.name)).slice(0, TOP_N);
}

function outcomeOf(r: WorkLinkReport): ReportOutcome {
  if (r.review === 'rejected') return 'rejected';
  if (r.review === 'confirmed') return r.removedAt ? 'removed' : 'confirmed';
  return 'awaiting review';
}

export function reportCounts(reports: readonly WorkLinkReport[], creatorSlackUser: string | undefined): ReportCount[] {
  const counts: ReportCount[] = [];
  for (const by of ['creator', 'community'] as const) {
    for (const outcome of REPORT_OUTCOMES) {
      const count = reports.filter((r) => ((creatorSlackUser !== undefined && r.reporter === creatorSlackUser) ? 'creator' : 'community') === by && outcomeOf(r) === outcome).length;
      if (count > 0) counts.push({ by, outcome, count });
    }
  }
  return counts;
}

function hours(f: WorkFinding): number {
  return (f.removedAt!.getTime() - f.firstSeen.getTime()) / 3_600_000;
}

export function workReport(work: Work, period: Period, creatorSlackUser?: string): WorkReport {
  const found = work.findings;
  const removed = found.filter((f) => f.removedAt !== null);
  const weekly = weeksOf(period).map((week) => ({ week, found: 0, removed: 0 }));
  const byWeek = new Map(weekly.map((w) => [w.week, w]));
  for (const f of found) {
    const w = byWeek.get(weekOf(f.firstSeen));
    if (w) w.found += 1;
  }
  for (const f of removed) {
    const w = byWeek.get(weekOf(f.removedAt!));
    if (w) w.removed += 1;
  }
  return {
    contentId: work.contentId, title: work.title, found: found.length, removed: removed.length,
    removalRate: found.length === 0 ? null : removed.length / found.length,
    medianHoursToRemoval: median(removed.map(hours)),
    topSites: counted(found, (f) => f.siteId ?? f.host),
    topFamilies: counted(found, (f) => f.family),
    weekly,
    reports: reportCounts(work.reports, creatorSlackUser),
  };
}

export function creatorReport(creator: { name: string; slackUser?: string }, period: Period, works: readonly Work[]): CreatorReport {
  const reports = works.map((w) => workReport(w, period, creator.slackUser));
  const all = works.flatMap((w) => w.findings);
  const removed = all.filter((f) => f.removedAt !== null);
  return {
    creator: creator.name, period, works: reports,
    totals: {
      found: all.length, removed: removed.length, removalRate: all.length === 0 ? null : removed.length / all.length,
      medianHoursToRemoval: median(removed.map(hours)), reports: works.reduce((n, w) => n + w.reports.length, 0),
    },
  };
}
