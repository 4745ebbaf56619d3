import type { types } from '@slack/bolt';

type KnownBlock = types.KnownBlock;
import type { Finding } from '../../core/db/findings.js';
import { parseFindingFilters, type FindingFilterInput } from '../../core/finding-filters.js';
import { ACTION_IDS } from './action-ids.js';
import { escapeMrkdwn, mrkdwnLink } from './mrkdwn.js';

/**
 * `/vigil findings` as a Slack message: one line per finding, a page at a time, and a "Next page"
 * button whose value carries the filters as typed and the next offset, so its click runs the same
 * query again (the filters are checked again: a value is input from outside).
 */

export const FINDINGS_PAGE_SIZE = 10;

/** Slack caps a button value at 2,000 characters. */
const MAX_VALUE = 2000;

export interface FindingsPageValue {
  filters: FindingFilterInput;
  offset: number;
}

/** The button value, or undefined when the filters are too long to carry (the page then has no button). */
export function encodeFindingsPage(value: FindingsPageValue): string | undefined {
  const text = JSON.stringify({ q: value.filters, o: value.offset });
  return text.length <= MAX_VALUE ? text : undefined;
}

/** Undefined for a value Vigil did not write, or filters that no longer check. */
export function decodeFindingsPage(raw: unknown): FindingsPageValue | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = JSON.parse(raw) as { q?: unknown; o?: unknown };
    if (typeof parsed.q !== 'object' || parsed.q === null || Array.isArray(parsed.q) || !Number.isSafeInteger(parsed.o) || (parsed.o as number) < 0) return undefined;
    const filters = parsed.q as FindingFilterInput;
    parseFindingFilters(filters);
    return { filters, offset: parsed.o as number };
  } catch {
    return undefined;
  }
}

function dateInZone(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'short' }).format(date);
}

function findingLine(f: Finding, timeZone: string): string {
  const site = f.siteId ? `${escapeMrkdwn(f.siteId)}${f.family && f.family !== f.siteId ? ` (${escapeMrkdwn(f.family)})` : ''}` : escapeMrkdwn(f.host);
  return `*#${f.id}* ${mrkdwnLink(f.url, f.host)} · ${escapeMrkdwn(f.contentId)} · ${site}\n`
    + `takedown *${f.takedownStatus}* · detection *${f.detectionStatus}* · first seen ${dateInZone(f.firstSeen, timeZone)}`;
}

export interface FindingsPage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * The message for one page. `findings` may hold one more than a page: that one is not shown, it
 * only says a next page exists.
 */
export function findingsPageMessage(findings: readonly Finding[], page: FindingsPageValue, timeZone: string, pageSize = FINDINGS_PAGE_SIZE): FindingsPage {
  const shown = findings.slice(0, pageSize);
  const more = findings.length > pageSize;
  const first = page.offset + 1;
  const last = page.offset + shown.length;
  const summary = shown.length === 0
    ? (page.offset === 0 ? 'No finding matches these filters.' : 'No more findings.')
    : `Findings ${first}–${last}${more ? '' : ` of ${last}`}, newest first (times in ${timeZone}).`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: summary } }];
  for (const f of shown) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: findingLine(f, timeZone) } });
  const value = more ? encodeFindingsPage({ filters: page.filters, offset: page.offset + pageSize }) : undefined;
  if (value !== undefined) {
    blocks.push({ type: 'actions', block_id: 'vigil-findings-page', elements: [{ type: 'button', action_id: ACTION_IDS.findingsPage, text: { type: 'plain_text', text: 'Next page' }, value }] });
  }
  return { text: summary, blocks };
}
