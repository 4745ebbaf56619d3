import { queryFindings } from '../../core/db/findings.js';
import { parseFindingFilters, type FindingFilterInput } from '../../core/finding-filters.js';
import { VigilError } from '../../core/errors.js';
import { DETECTION_STATUSES, TAKEDOWN_STATUSES } from '../../core/status.js';
import { html, outLink, type Html } from '../html.js';
import { filterChoices, type Queryable } from '../records.js';

/**
 * The findings page: the filters of `vigil findings` (core/finding-filters.ts, checked the same way),
 * newest first, paged by keyset (?after=ID: the findings older than that one), never by OFFSET,
 * so the thousandth page costs what the first does.
 */

export const PAGE_SIZES = [25, 50, 100, 200] as const;
const DEFAULT_PAGE_SIZE = 50;

export interface FindingsRequest {
  filters: FindingFilterInput;
  afterId: number | undefined;
  limit: number;
}

/** The query string as the filters' input; the names are the CLI's options without "--". */
export function findingsRequestOf(params: URLSearchParams): FindingsRequest {
  const one = (name: string): string | undefined => {
    const v = params.get(name)?.trim();
    return v ? v : undefined;
  };
  const many = (name: string): string[] => params.getAll(name).map((v) => v.trim()).filter(Boolean);
  const filters: FindingFilterInput = {};
  for (const name of ['content', 'title', 'from', 'to', 'tz', 'link', 'family'] as const) {
    const v = one(name);
    if (v !== undefined) filters[name] = v;
  }
  if (many('takedown').length) filters.takedown = many('takedown');
  if (many('detection').length) filters.detection = many('detection');
  const after = one('after');
  const afterId = after === undefined ? undefined : Number(after);
  if (afterId !== undefined && (!Number.isSafeInteger(afterId) || afterId < 1)) throw new VigilError('USAGE', `after=${JSON.stringify(after)} is not a finding id; follow the page's "Older" link`);
  const limitText = one('limit');
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!PAGE_SIZES.includes(limit as (typeof PAGE_SIZES)[number])) throw new VigilError('USAGE', `limit=${JSON.stringify(limitText)} is not a page size; one of ${PAGE_SIZES.join(', ')}`);
  return { filters, afterId, limit };
}

/** The same filters as a query string, with paging changed: for the pager's links. */
function linkWith(params: URLSearchParams, change: { after?: number }): string {
  const next = new URLSearchParams([...params].filter(([k, v]) => k !== 'after' && v.trim() !== ''));
  if (change.after !== undefined) next.set('after', String(change.after));
  const qs = next.toString();
  return `/findings${qs ? `?${qs}` : ''}`;
}

function filterForm(params: URLSearchParams, choices: { contents: { id: string; title: string }[]; families: string[] }): Html {
  const value = (name: string): string => params.get(name) ?? '';
  const checked = (name: string, status: string): boolean => params.getAll(name).some((v) => v.toLowerCase() === status.toLowerCase());
  const box = (name: string, status: string): Html => html`<label style="flex-direction:row;gap:.2rem"><input type="checkbox" name="${name}" value="${status}" ${checked(name, status) ? html`checked` : ''}>${status}</label>`;
  return html`<form class="filters" method="get" action="/findings" id="filters">
  <label>Title<select name="content"><option value="">any</option>${choices.contents.map((c) => html`<option value="${c.id}" ${value('content') === c.id ? html`selected` : ''}>${c.title} (${c.id})</option>`)}</select></label>
  <label>Title text<input name="title" value="${value('title')}" placeholder="any of its names"></label>
  <label>From<input type="date" name="from" value="${value('from')}"></label>
  <label>To<input type="date" name="to" value="${value('to')}"></label>
  <label>Time zone<input name="tz" value="${value('tz') || 'UTC'}" size="14"></label>
  <label>Link or host<input name="link" value="${value('link')}" placeholder="example.to"></label>
  <label>Family<select name="family"><option value="">any</option>${choices.families.map((f) => html`<option ${value('family') === f ? html`selected` : ''}>${f}</option>`)}</select></label>
  <fieldset><legend>Takedown</legend>${TAKEDOWN_STATUSES.map((s) => box('takedown', s))}</fieldset>
  <fieldset><legend>Detection</legend>${DETECTION_STATUSES.map((s) => box('detection', s))}</fieldset>
  <label>Per page<select name="limit">${PAGE_SIZES.map((n) => html`<option ${String(n) === (value('limit') || String(DEFAULT_PAGE_SIZE)) ? html`selected` : ''}>${n}</option>`)}</select></label>
  <button type="submit">Filter</button> <a href="/findings">clear</a>
</form>`;
}

export async function findingsPage(db: Queryable, params: URLSearchParams): Promise<{ status: number; body: Html }> {
  const choices = await filterChoices(db);
  let request: FindingsRequest;
  let query;
  try {
    request = findingsRequestOf(params);
    query = parseFindingFilters(request.filters);
  } catch (error) {
    if (!(error instanceof VigilError)) throw error;
    // A filter typed wrong is the person's to fix: the form stays as typed, with what is wrong.
    return { status: 400, body: html`${filterForm(params, choices)}<div class="error" id="filter-error">${error.code}: ${error.message}<br>fix: ${error.fix}</div>` };
  }
  const rows = await queryFindings(db, { ...query.query, ...(request.afterId ? { afterId: request.afterId } : {}), limit: request.limit + 1 });
  const more = rows.length > request.limit;
  const shown = rows.slice(0, request.limit);
  const date = (d: Date): string => new Intl.DateTimeFormat('sv-SE', { timeZone: query.timeZone, dateStyle: 'short', timeStyle: 'short' }).format(d);
  const pager = html`<nav class="pager">
    ${request.afterId ? html`<a id="newest" href="${linkWith(params, {})}">« Newest</a>` : ''}
    ${more ? html`<a id="older" rel="next" href="${linkWith(params, { after: shown[shown.length - 1]!.id })}">Older »</a>` : ''}
    <span id="shown">${shown.length} finding(s) on this page${request.afterId ? html` (older than #${request.afterId})` : ''}; times in ${query.timeZone}</span></nav>`;
  return {
    status: 200,
    body: html`${filterForm(params, choices)}${pager}
<table id="findings"><thead><tr><th>#</th><th>First seen</th><th>Title</th><th>Takedown</th><th>Detection</th><th>Site (family)</th><th>Link</th></tr></thead><tbody>
${shown.map((f) => html`<tr data-id="${f.id}"><td><a href="/findings/${f.id}">#${f.id}</a></td><td>${date(f.firstSeen)}</td><td>${f.contentId}</td>
<td class="takedown">${f.takedownStatus}</td><td class="detection">${f.detectionStatus}</td><td>${f.siteId ?? '–'}${f.family ? ` (${f.family})` : ''}</td><td class="url">${outLink(f.url)}</td></tr>`)}
</tbody></table>${shown.length === 0 ? html`<p id="none">No finding matches these filters.</p>` : ''}${pager}`,
  };
}
