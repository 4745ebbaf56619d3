import type { Chart } from './charts.js';
import type { CreatorReport, ReportCount, SiteCount, WorkReport } from './creator.js';
import { isoDay } from './period.js';

/**
 * The creator report as one HTML document: the e-mail's HTML part (charts as cid: images) and,
 * printed by Chromium, the PDF (charts inline). Inline styles and tables only, as mail clients need.
 * Every value from the catalog or a pirate site (titles, hosts) is escaped.
 */

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 1000) / 10}%`;
}

/** Hours as a person reads a duration: 5 h, 2.5 days. */
export function duration(hours: number | null): string {
  if (hours === null) return '—';
  if (hours < 48) return `${Math.round(hours * 10) / 10} h`;
  return `${Math.round((hours / 24) * 10) / 10} days`;
}

export function reportTitle(report: CreatorReport): string {
  return `Enforcement report for ${report.creator}, ${report.period.label}`;
}

function periodText(report: CreatorReport): string {
  return `${isoDay(report.period.start)} to ${isoDay(new Date(report.period.end.getTime() - 86_400_000))}`;
}

const TD = 'style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:left"';
const TH = 'style="padding:4px 10px;border-bottom:2px solid #999;text-align:left"';

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '<p style="color:#666">None in this period.</p>';
  return `<table style="border-collapse:collapse;margin:6px 0 14px">`
    + `<tr>${head.map((h) => `<th ${TH}>${escapeHtml(h)}</th>`).join('')}</tr>`
    + rows.map((r) => `<tr>${r.map((c) => `<td ${TD}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')
    + '</table>';
}

function siteRows(sites: readonly SiteCount[]): string[][] {
  return sites.map((s) => [s.name, String(s.found), String(s.removed), percent(s.found ? s.removed / s.found : null)]);
}

function reportRows(counts: readonly ReportCount[]): string[][] {
  return counts.map((c) => [c.by === 'creator' ? 'you' : 'the community', c.outcome, String(c.count)]);
}

/** src gives each chart's image address: cid:… in the e-mail, a data: URL in the PDF. */
export type ChartSource = (chart: Chart) => string;

function workSection(work: WorkReport, charts: readonly Chart[], src: ChartSource): string {
  const figures = charts.map((c) => `<p><img src="${escapeHtml(src(c))}" alt="${escapeHtml(c.title)}" style="max-width:100%;width:640px"></p>`).join('');
  return `<h2 style="font-size:18px;margin:22px 0 6px">${escapeHtml(work.title)}</h2>`
    + table(['links found', 'removed', 'removal rate', 'median time to removal'], [[String(work.found), String(work.removed), percent(work.removalRate), duration(work.medianHoursToRemoval)]])
    + figures
    + '<h3 style="font-size:15px;margin:10px 0 4px">Top sites</h3>' + table(['site', 'found', 'removed', 'rate'], siteRows(work.topSites))
    + '<h3 style="font-size:15px;margin:10px 0 4px">Top site families</h3>' + table(['family', 'found', 'removed', 'rate'], siteRows(work.topFamilies))
    + '<h3 style="font-size:15px;margin:10px 0 4px">Links reported</h3>' + table(['reported by', 'outcome', 'links'], reportRows(work.reports));
}

export function creatorReportHtml(report: CreatorReport, charts: ReadonlyMap<string, readonly Chart[]>, src: ChartSource): string {
  const title = reportTitle(report);
  const t = report.totals;
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    + `<title>${escapeHtml(title)}</title></head>`
    + '<body style="font-family:\'DejaVu Sans\',Arial,sans-serif;color:#222;max-width:720px;margin:0 auto;padding:16px">'
    + `<h1 style="font-size:22px;margin:0 0 4px">${escapeHtml(title)}</h1>`
    + `<p style="color:#555;margin:0 0 12px">${escapeHtml(periodText(report))} (UTC). Links found are those first seen in the period; removed, those taken down by its end.</p>`
    + table(['works', 'links found', 'removed', 'removal rate', 'median time to removal', 'links reported'],
      [[String(report.works.length), String(t.found), String(t.removed), percent(t.removalRate), duration(t.medianHoursToRemoval), String(t.reports)]])
    + report.works.map((w) => workSection(w, charts.get(w.contentId) ?? [], src)).join('')
    + '<p style="color:#777;font-size:12px;margin-top:24px">Made by Vigil. Links set to Ignore (not infringing, or not pursued) are not counted.</p>'
    + '</body></html>';
}

/** The e-mail's text part: the same figures, without charts. */
export function creatorReportText(report: CreatorReport): string {
  const lines = [reportTitle(report), periodText(report), ''];
  const t = report.totals;
  lines.push(`All works: ${t.found} links found, ${t.removed} removed (${percent(t.removalRate)}), median time to removal ${duration(t.medianHoursToRemoval)}, ${t.reports} reported.`, '');
  for (const w of report.works) {
    lines.push(`${w.title}: ${w.found} found, ${w.removed} removed (${percent(w.removalRate)}), median ${duration(w.medianHoursToRemoval)}`);
    for (const s of w.topSites.slice(0, 5)) lines.push(`  ${s.name}: ${s.found} found, ${s.removed} removed`);
    for (const r of w.reports) lines.push(`  reported by ${r.by === 'creator' ? 'you' : 'the community'}, ${r.outcome}: ${r.count}`);
  }
  lines.push('', 'The charts are in the HTML version of this message; the PDF is attached.');
  return lines.join('\n');
}
