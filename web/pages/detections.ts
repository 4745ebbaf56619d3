import { html, outLink, when, type Html } from '../html.js';
import { detections, type Queryable } from '../records.js';

/** The last watermark detections: on findings, and on links people asked about. */

const brief = (result: Record<string, unknown> | null): string => {
  if (!result) return '–';
  const who = result.recipient ?? result.recipientName ?? result.sessionId ?? result.watermarkId;
  return [who === undefined ? undefined : `→ ${String(who)}`, result.confidence === undefined ? undefined : `confidence ${String(result.confidence)}`].filter(Boolean).join(', ') || JSON.stringify(result).slice(0, 120);
};

export async function detectionsPage(db: Queryable): Promise<Html> {
  const d = await detections(db, 100);
  return html`<h2>On findings</h2>${d.findings.length === 0 ? html`<p>No detection on a finding yet.</p>` : html`<table id="finding-detections"><thead><tr><th>Finding</th><th>Title</th><th>Status</th><th>Result</th><th>Link</th></tr></thead><tbody>
${d.findings.map((r) => html`<tr><td><a href="/findings/${r.findingId}">#${r.findingId}</a></td><td>${r.contentId}</td><td>${r.status}</td><td>${brief(r.result)}</td><td class="url">${outLink(r.url)}</td></tr>`)}</tbody></table>`}
<h2>On links asked about</h2>${d.links.length === 0 ? html`<p>No link detection asked for yet.</p>` : html`<table id="link-detections"><thead><tr><th>#</th><th>Asked by</th><th>At</th><th>Status</th><th>Result</th><th>Link</th></tr></thead><tbody>
${d.links.map((r) => html`<tr><td>${r.id}</td><td>${r.requestedBy}</td><td>${when(r.requestedAt)}</td><td>${r.status}${r.reason ? html`<br><small>${r.reason}</small>` : ''}</td><td>${brief(r.result)}</td><td class="url">${outLink(r.url)}</td></tr>`)}</tbody></table>`}`;
}
