import type { CatalogRepo } from '../../core/catalog-repo.js';
import { webOrigin } from '../../core/catalog-repo.js';
import { html, outLink, when, type Html } from '../html.js';
import { findingDetail, type FindingDetail, type Queryable } from '../records.js';
import type { SlackPermalinks } from '../slack-permalink.js';

/**
 * One finding and its evidence, what `vigil evidence` packs: the page as fetched, the detection
 * result, every notice with its delivery receipts, the re-checks and the audit trail; with links
 * out to where its actions live (the Slack card, the catalog file of its title).
 */

export interface Places {
  /** The catalog repository the reconciler follows (VIGIL_CATALOG_REPO), for links to its files. */
  catalogRepo: CatalogRepo | undefined;
  githubApiUrl: string;
  catalogPath: string;
  catalogBranch: string | undefined;
  /** The link to a finding's Slack card (slack-permalink.ts). */
  slackLink: SlackPermalinks;
}

/** The title's file in the catalog repository, at the commit that applied it, or undefined when the repository is not a GitHub one. */
export function catalogFileUrl(places: Places, source: NonNullable<FindingDetail['contentSource']>): string | undefined {
  const name = places.catalogRepo?.fullName;
  if (!name || !source.file) return undefined;
  const ref = source.commit ?? places.catalogBranch ?? 'HEAD';
  const file = [places.catalogPath, source.file].filter(Boolean).join('/').replace(/^\/+/, '');
  return `${webOrigin(places.githubApiUrl)}/${name}/blob/${encodeURIComponent(ref)}/${file.split('/').map(encodeURIComponent).join('/')}${source.line ? `#L${source.line}` : ''}`;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);

export async function findingPage(db: Queryable, id: number, places: Places): Promise<{ title: string; body: Html } | undefined> {
  const d = await findingDetail(db, id);
  if (!d) return undefined;
  const f = d.finding;
  const catalogUrl = d.contentSource ? catalogFileUrl(places, d.contentSource) : undefined;
  const detection = f.evidence.detection;
  const slackLink = d.slackCard ? await places.slackLink(d.slackCard) : undefined;
  return {
    title: `Finding #${f.id}`,
    body: html`<section id="summary"><table>
<tr><th>Title</th><td>${d.contentSource?.title ?? f.contentId} (${f.contentId})${catalogUrl ? html` · ${outLink(catalogUrl, 'in the catalog repo')}` : ''}</td></tr>
<tr><th>Link</th><td class="url">${outLink(f.url)}</td></tr>
<tr><th>Page title</th><td>${f.pageTitle}</td></tr>
<tr><th>Site</th><td>${f.siteId ?? '–'} ${f.family ? `(family ${f.family})` : ''} · host ${f.host}</td></tr>
<tr><th>Statuses</th><td>takedown <strong id="takedown">${f.takedownStatus}</strong> · detection <strong id="detection">${f.detectionStatus}</strong></td></tr>
<tr><th>Seen</th><td>first ${when(f.firstSeen)} · last ${when(f.lastSeen)} · ${f.rounds} round(s) · source ${f.source} · score ${f.score.toFixed(2)}${f.matchDistance === null ? '' : ` · match distance ${f.matchDistance.toFixed(3)}`}</td></tr>
<tr><th>Act</th><td>${slackLink ? outLink(slackLink, 'the finding\'s card in Slack') : 'no Slack card posted'} · evidence pack: <code>vigil evidence ${f.id}</code></td></tr>
</table></section>
<section id="page"><h2>Page as fetched</h2>${d.page ? html`<p>${d.page.method} ${outLink(d.page.requestedUrl)} → HTTP ${d.page.status} ${d.page.statusText} at ${when(d.page.fetchedAt)}${d.page.finalUrl !== d.page.requestedUrl ? html` (answered by ${outLink(d.page.finalUrl)})` : ''}, ${d.page.bodyBytes} bytes${d.page.truncated ? ' (kept truncated)' : ''}${d.page.remoteAddress ? `, from ${d.page.remoteAddress}` : ''}</p>
${d.page.redirects.length ? html`<ul>${d.page.redirects.map((r) => html`<li>${r.status}: ${r.from} → ${r.to}</li>`)}</ul>` : ''}
<pre>${d.page.responseHeaders.map(([k, v]) => `${k}: ${v}`).join('\n')}</pre>` : html`<p>No page was kept for this finding.</p>`}</section>
<section id="detection-result"><h2>Detection</h2>${detection === undefined ? html`<p>No detection result (${f.detectionStatus}).</p>` : html`<pre>${json(detection)}</pre>`}</section>
<section id="notices"><h2>Notices</h2>${d.notices.length === 0 ? html`<p>No notice lists this finding.</p>` : html`<table><thead><tr><th>#</th><th>To</th><th>Channel</th><th>Subject</th><th>Status</th><th>Receipts</th></tr></thead><tbody>
${d.notices.map((n) => html`<tr class="notice"><td>${n.id}</td><td>${n.contact}</td><td>${n.channel}</td><td>${n.subject}</td><td class="notice-status">${n.status}${n.sentAt ? ` ${when(n.sentAt)}` : ''}</td>
<td>${n.receipts.map((r) => html`<div>try ${r.attempt} ${r.channel}: <strong>${r.outcome}</strong>${r.externalId ? ` (${r.externalId})` : ''}${r.reason ? ` – ${r.reason}` : ''} ${when(r.at)}</div>`)}</td></tr>`)}</tbody></table>`}</section>
<section id="checks"><h2>Re-checks</h2>${d.checks.length === 0 ? html`<p>No re-check yet.</p>` : html`<table><thead><tr><th>Takedown</th><th>Check</th><th>At</th><th>Outcome</th><th>Why</th></tr></thead><tbody>
${d.checks.map((c) => html`<tr class="check"><td>${c.round}</td><td>${c.n}</td><td>${when(c.at)}</td><td>${c.outcome}</td><td>${c.reason}${c.httpStatus ? ` (HTTP ${c.httpStatus})` : ''}</td></tr>`)}</tbody></table>`}</section>
<section id="audit"><h2>Audit trail</h2><table><thead><tr><th>At</th><th>Who</th><th>What</th><th>Why</th><th>Details</th></tr></thead><tbody>
${d.audit.map((a) => html`<tr class="audit"><td>${when(a.at)}</td><td>${a.actor}</td><td>${a.action}</td><td>${a.reason}</td><td><code>${JSON.stringify(a.details)}</code></td></tr>`)}</tbody></table></section>`,
  };
}
