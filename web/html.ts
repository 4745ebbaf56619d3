/**
 * Server-rendered HTML with escaping by default: every value put into an `html` template is escaped
 * unless it is itself Html (made by `html` or, for trusted markup such as our own SVG, `trusted`).
 * Records hold text from the open web (page titles, URLs, notice replies), so nothing is inserted raw.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Piece = Html | string | number | boolean | null | undefined | readonly Piece[];

function render(value: Piece): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map((v: Piece) => render(v)).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Piece[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup this process made itself (the charts' SVG): never text from a record. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** A date as a person reads it in UTC: 2026-03-07 14:05. */
export function when(date: Date | null | undefined): string {
  return date ? date.toISOString().slice(0, 16).replace('T', ' ') : '–';
}

/** A link out to the open web: never sends our address (Referer) nor gives the page a handle on ours. */
export function outLink(url: string, label?: string): Html {
  const safe = /^https?:\/\//i.test(url);
  return safe ? html`<a href="${url}" rel="noreferrer noopener" target="_blank">${label ?? url}</a>` : html`<span>${label ?? url}</span>`;
}

export const NAV = [
  ['/findings', 'Findings'], ['/trends', 'Trends'], ['/families', 'Families'], ['/jobs', 'Jobs'],
  ['/review', 'Review'], ['/detections', 'Detections'], ['/sessions', 'Sessions'],
] as const;

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#1d2733;color:#fff;padding:.5rem 1rem;display:flex;gap:1rem;align-items:center}
header a{color:#cfe3ff;text-decoration:none}header a.here{color:#fff;font-weight:600}
header .who{margin-left:auto;color:#9fb0c3}
main{padding:1rem;max-width:80rem}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}td.url{word-break:break-all}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;background:#fff;padding:.6rem;margin-bottom:.8rem;border:1px solid #e3e6ea}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#52606d}form.filters button,form.filters>a{align-self:flex-end}
fieldset{border:1px solid #e3e6ea;font-size:12px}.error{background:#fde8e8;border:1px solid #f5a3a3;padding:.6rem;margin-bottom:.8rem}
.pager{display:flex;gap:1rem;margin:.6rem 0}section{margin-bottom:1.4rem}pre{white-space:pre-wrap;background:#fff;border:1px solid #e3e6ea;padding:.5rem;max-height:20rem;overflow:auto}
svg{background:#fff;border:1px solid #e3e6ea;max-width:100%;height:auto}
`;

/** The whole page: navigation, who is signed in, the body. */
export function layout(o: { title: string; path: string; user: string | undefined; body: Html; signOut?: boolean }): string {
  const nav = NAV.map(([href, label]) => html`<a href="${href}" class="${o.path.startsWith(href) ? 'here' : ''}">${label}</a>`);
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${o.title} · Vigil</title><style>${trusted(STYLE)}</style></head>
<body><header><strong>Vigil</strong>${nav}<span class="who">${o.user ? `signed in as ${o.user}` : ''}</span>${o.user && o.signOut ? html`<a id="sign-out" href="/logout">sign out</a>` : ''}</header>
<main><h1>${o.title}</h1>${o.body}</main></body></html>`.text}`;
}
