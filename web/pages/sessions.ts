import { html, when, type Html } from '../html.js';
import { revokedSessions, type Queryable } from '../records.js';

/** Streaming sessions revoked, latest first, with who revoked them and why. */

export async function sessionsPage(db: Queryable): Promise<Html> {
  const rows = await revokedSessions(db, 200);
  if (rows.length === 0) return html`<p id="sessions-empty">No session has been revoked.</p>`;
  return html`<table id="sessions"><thead><tr><th>Session</th><th>Watermark ID</th><th>Viewer</th><th>Title or package</th><th>Issued</th><th>Revoked</th><th>By</th><th>Why</th></tr></thead><tbody>
${rows.map((s) => html`<tr><td><code>${s.id}</code></td><td>${s.watermarkId}</td><td>${s.viewer}</td><td>${s.contentId ?? s.packageName ?? '–'}</td><td>${when(s.issuedAt)}</td><td>${when(s.revokedAt)}</td><td>${s.by ?? '–'}</td><td>${s.reason ?? ''}</td></tr>`)}</tbody></table>`;
}
