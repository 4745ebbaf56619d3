import { escapeHtml } from './html.js';

/**
 * Site families and their hops as a graph in SVG: a column per family, its catalog domains on top
 * and each host it hopped to below the host it was found through (discovered_sites.via_host), with
 * an arrow along every hop. Pure: hosts in, SVG out.
 */

export interface FamilyHost {
  host: string;
  family: string;
  /** Catalog domains are where a family starts; hops were found by the crawler. */
  kind: 'catalog' | 'hop';
  /** The host it was found through (hops only). */
  via?: string;
  confidence?: number;
}

interface Placed extends FamilyHost { x: number; y: number; depth: number }

const COLUMN = 220;
const ROW = 54;
const TOP = 44;

/** Depth of each host in its family: catalog domains 0, a hop one more than the host it came through. */
function depths(hosts: readonly FamilyHost[]): Map<string, number> {
  const byHost = new Map(hosts.map((h) => [h.host, h]));
  const depth = new Map<string, number>();
  const of = (host: string, seen: Set<string>): number => {
    const known = depth.get(host);
    if (known !== undefined) return known;
    const h = byHost.get(host);
    // A via host the records no longer know, or a loop of hops, starts a chain of its own.
    const d = !h || h.kind === 'catalog' || !h.via || seen.has(h.via) ? 0 : of(h.via, new Set([...seen, host])) + 1;
    depth.set(host, d);
    return d;
  };
  for (const h of hosts) of(h.host, new Set());
  return depth;
}

export function familyGraphSvg(hosts: readonly FamilyHost[]): string {
  const families = [...new Set(hosts.map((h) => h.family))].sort();
  const depth = depths(hosts);
  const placed = new Map<string, Placed>();
  let rows = 1;
  families.forEach((family, col) => {
    const members = hosts.filter((h) => h.family === family)
      .sort((a, b) => depth.get(a.host)! - depth.get(b.host)! || a.host.localeCompare(b.host));
    members.forEach((h, row) => placed.set(h.host, { ...h, depth: depth.get(h.host)!, x: 20 + col * COLUMN, y: TOP + row * ROW }));
    rows = Math.max(rows, members.length);
  });
  const width = Math.max(COLUMN, families.length * COLUMN) + 20;
  const height = TOP + rows * ROW + 10;
  const parts: string[] = [
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#8a5a00"/></marker></defs>',
  ];
  families.forEach((family, col) => parts.push(`<text x="${20 + col * COLUMN}" y="22" font-size="13" font-weight="600">${escapeHtml(family)}</text>`));
  for (const h of placed.values()) {
    const from = h.via ? placed.get(h.via) : undefined;
    if (h.kind === 'hop' && from) {
      parts.push(`<line class="hop" data-from="${escapeHtml(from.host)}" data-to="${escapeHtml(h.host)}" x1="${from.x + 8}" y1="${from.y + 30}" x2="${h.x + 8}" y2="${h.y}" stroke="#8a5a00" stroke-width="1.5" marker-end="url(#arrow)"/>`);
    }
  }
  for (const h of placed.values()) {
    const fill = h.kind === 'catalog' ? '#d8e8ff' : '#ffe9c2';
    const note = h.kind === 'hop' ? `hop${h.via ? ` from ${h.via}` : ''}${h.confidence === undefined ? '' : `, confidence ${h.confidence.toFixed(2)}`}` : 'in the catalog';
    parts.push(`<g class="host" data-host="${escapeHtml(h.host)}" data-kind="${h.kind}"><rect x="${h.x}" y="${h.y}" width="${COLUMN - 30}" height="30" rx="5" fill="${fill}" stroke="#52606d"/>`
      + `<text x="${h.x + 8}" y="${h.y + 19}" font-size="12">${escapeHtml(h.host)}</text><title>${escapeHtml(`${h.host}: ${note}`)}</title></g>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="family-graph" role="img" aria-label="site families and their hops" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${parts.join('')}</svg>`;
}
