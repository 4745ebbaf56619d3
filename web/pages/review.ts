import { reviewQueue } from '../../core/db/findings.js';
import { html, outLink, type Html } from '../html.js';
import type { Queryable } from '../records.js';

/** The suspects waiting for a person, strongest first: decided in Slack (/vigil review), shown here. */

export async function reviewPage(db: Queryable): Promise<Html> {
  const items = await reviewQueue(db, undefined, 200);
  if (items.length === 0) return html`<p id="review-empty">Nothing waits for review.</p>`;
  return html`<p>${items.length} suspect(s) waiting; confirm or reject them in Slack with <code>/vigil review</code>.</p>
<table id="review"><thead><tr><th>#</th><th>Title</th><th>Score</th><th>Why</th><th>Site</th><th>Link</th></tr></thead><tbody>
${items.map((s) => html`<tr><td>${s.id}</td><td>${s.contentId ?? '(title unknown)'}</td><td>${s.score.toFixed(2)}</td><td>${s.reason}</td><td>${s.siteId ?? '–'}</td><td class="url">${outLink(s.url)}</td></tr>`)}</tbody></table>`;
}
