import type { Period } from './period.js';
import type { UsageRow } from './usage.js';

/** The usage report as a person or a spreadsheet reads it: an aligned table, CSV (RFC 4180) or JSON. */

export const USAGE_FORMATS = ['table', 'csv', 'json'] as const;
export type UsageFormat = (typeof USAGE_FORMATS)[number];

const HEADER = ['title', 'content', 'tier', 'days', 'premium_days', 'billable', 'first_day', 'last_day', 'release_date', 'jobs', 'notes'] as const;

function cells(r: UsageRow): string[] {
  return [r.title, r.contentId, r.tier, String(r.days), String(r.premiumDays), r.billable ? 'yes' : 'no', r.firstDay ?? '', r.lastDay ?? '', r.releaseDate, r.jobIds.join(' '), r.notes.join('; ')];
}

function csvCell(value: string): string {
  // A cell starting with = + - @ is a formula to a spreadsheet: titles come from people, so it is quoted as text.
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) || guarded !== value ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function usageSummary(rows: readonly UsageRow[]): { titles: number; billable: number; standard: number; premium: number } {
  const billed = rows.filter((r) => r.billable);
  return { titles: rows.length, billable: billed.length, standard: billed.filter((r) => r.tier === 'standard').length, premium: billed.filter((r) => r.tier === 'premium').length };
}

export function formatUsage(rows: readonly UsageRow[], month: Period, format: UsageFormat): string {
  if (format === 'json') return `${JSON.stringify({ month: month.label, summary: usageSummary(rows), rows }, null, 2)}\n`;
  if (format === 'csv') return [HEADER.join(','), ...rows.map((r) => cells(r).map(csvCell).join(','))].join('\r\n') + '\r\n';
  const table = [[...HEADER], ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  const s = usageSummary(rows);
  return `usage ${month.label}\n${lines.join('\n')}\n${s.billable} of ${s.titles} title(s) billable: ${s.standard} standard, ${s.premium} premium\n`;
}

function mrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Slack message of the first of the month: the summary and one line per billed title. */
export function usageSlackText(rows: readonly UsageRow[], month: Period): string {
  const s = usageSummary(rows);
  const billed = rows.filter((r) => r.billable);
  const lines = billed.slice(0, 40).map((r) => `• ${mrkdwn(r.title)} — ${r.tier}, ${r.days} day(s)${r.notes.length ? ` (${mrkdwn(r.notes.join('; '))})` : ''}`);
  const more = billed.length > 40 ? [`…and ${billed.length - 40} more: \`vigil report usage --month ${month.label}\``] : [];
  return [`*Monitoring usage, ${month.label}*: ${s.billable} title(s) billable (${s.standard} standard, ${s.premium} premium) of ${s.titles} monitored`, ...lines, ...more].join('\n');
}
