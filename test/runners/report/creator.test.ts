import { describe, expect, it } from 'vitest';
import { creatorReport, median, weekOf, workReport, type WorkFinding } from '../../../runners/report/creator.js';
import { duration, escapeHtml, percent } from '../../../runners/report/creator-html.js';
import { parseQuarter } from '../../../runners/report/period.js';

const Q3 = parseQuarter('2026-Q3', new Date('2026-12-01T00:00:00Z'));

function finding(id: number, firstSeen: string, removedAt: string | null, host = 'a.example'): WorkFinding {
  return { id, host, siteId: null, family: null, firstSeen: new Date(firstSeen), removedAt: removedAt ? new Date(removedAt) : null };
}

describe('creator report figures', () => {
  it('weeks start on Monday (UTC), and the quarter is covered from the week it starts in', () => {
    expect(weekOf(new Date('2026-07-01T12:00:00Z'))).toBe('2026-06-29');
    expect(weekOf(new Date('2026-07-05T23:59:59Z'))).toBe('2026-06-29');
    expect(weekOf(new Date('2026-07-06T00:00:00Z'))).toBe('2026-07-06');
    const w = workReport({ contentId: 'c', title: 'C', findings: [], reports: [] }, Q3);
    expect(w.weekly[0]!.week).toBe('2026-06-29');
    expect(w.weekly.at(-1)!.week).toBe('2026-09-28');
    expect(w.weekly).toHaveLength(14);
  });

  it('gives no rate or median for a work with nothing found, rather than 0', () => {
    const w = workReport({ contentId: 'c', title: 'C', findings: [], reports: [] }, Q3);
    expect(w).toMatchObject({ found: 0, removed: 0, removalRate: null, medianHoursToRemoval: null, topSites: [], reports: [] });
    expect([percent(w.removalRate), duration(w.medianHoursToRemoval)]).toEqual(['—', '—']);
  });

  it('takes the median of the removed links only, the middle pair averaged', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const w = workReport({ contentId: 'c', title: 'C', reports: [], findings: [
      finding(1, '2026-07-01T00:00:00Z', '2026-07-01T02:00:00Z'), finding(2, '2026-07-02T00:00:00Z', '2026-07-02T10:00:00Z'),
      finding(3, '2026-07-03T00:00:00Z', null, 'b.example'),
    ] }, Q3);
    expect(w).toMatchObject({ found: 3, removed: 2, medianHoursToRemoval: 6 });
    expect(w.removalRate).toBeCloseTo(2 / 3);
    expect(w.topSites).toEqual([{ name: 'a.example', found: 2, removed: 2 }, { name: 'b.example', found: 1, removed: 0 }]);
  });

  it('counts every report as the community\'s when the creator names no Slack user', () => {
    const r = creatorReport({ name: 'X' }, Q3, [{ contentId: 'c', title: 'C', findings: [], reports: [
      { reporter: 'U1', review: 'confirmed', removedAt: null }, { reporter: 'U2', review: 'queued', removedAt: null },
    ] }]);
    expect(r.works[0]!.reports).toEqual([{ by: 'community', outcome: 'confirmed', count: 1 }, { by: 'community', outcome: 'awaiting review', count: 1 }]);
    expect(r.totals.reports).toBe(2);
  });

  it('escapes titles and hosts for HTML, and writes durations as a person reads them', () => {
    expect(escapeHtml('<img src=x onerror="a">&\'')).toBe('&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;');
    expect([duration(5), duration(60), percent(0.6029)]).toEqual(['5 h', '2.5 days', '60.3%']);
  });
});
