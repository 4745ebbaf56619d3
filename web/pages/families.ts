import { familyGraphSvg } from '../family-graph.js';
import { html, trusted, when, type Html } from '../html.js';
import { familyHosts, type Queryable } from '../records.js';

/** Site families: the catalog's domains and the hosts the crawler linked to them by hops, as a graph and a table. */

export async function familiesPage(db: Queryable): Promise<Html> {
  const hosts = await familyHosts(db);
  if (hosts.length === 0) return html`<p>No site family yet: give Sites a <code>family</code> in the catalog.</p>`;
  const svg = familyGraphSvg(hosts.map((h) => ({ host: h.host, family: h.family, kind: h.kind, ...(h.via ? { via: h.via } : {}), ...(h.confidence === null ? {} : { confidence: h.confidence }) })));
  const hops = hosts.filter((h) => h.kind === 'hop');
  return html`<figure id="family-graph">${trusted(svg)}</figure>
<h2>Hops</h2>${hops.length === 0 ? html`<p>No hop detected yet.</p>` : html`<table id="hops"><thead><tr><th>Family</th><th>Host</th><th>Found through</th><th>Site</th><th>Confidence</th><th>Discovered</th></tr></thead><tbody>
${hops.map((h) => html`<tr><td>${h.family}</td><td>${h.host}</td><td>${h.via ?? '–'}</td><td>${h.siteId}</td><td>${h.confidence?.toFixed(2) ?? '–'}</td><td>${when(h.discoveredAt)}</td></tr>`)}</tbody></table>`}`;
}
