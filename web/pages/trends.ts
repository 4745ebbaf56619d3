import { barChartSvg, lastWeeks } from '../charts.js';
import { html, trusted, type Html } from '../html.js';
import { weeklyCounts, type Queryable } from '../records.js';

/** Findings and removals per week over the last half year, as a chart and as the table it is drawn from. */

export const TREND_WEEKS = 26;

export async function trendsPage(db: Queryable, now = new Date()): Promise<Html> {
  const weeks = lastWeeks(now, TREND_WEEKS);
  const counts = await weeklyCounts(db, new Date(`${weeks[0]!}T00:00:00Z`));
  const found = weeks.map((w) => counts.found.get(w) ?? 0);
  const removed = weeks.map((w) => counts.removed.get(w) ?? 0);
  const svg = barChartSvg({
    title: `Findings and removals per week (last ${TREND_WEEKS} weeks, UTC)`,
    labels: weeks,
    series: [{ name: 'found', color: '#3b82c4', values: found }, { name: 'removed', color: '#2e9d5b', values: removed }],
  });
  return html`<figure id="trend-chart">${trusted(svg)}</figure>
<p>found: ${found.reduce((a, b) => a + b, 0)} · removed (takedown Complete): ${removed.reduce((a, b) => a + b, 0)}</p>
<table id="trend-table"><thead><tr><th>Week of</th><th>Found</th><th>Removed</th></tr></thead><tbody>
${weeks.map((w, i) => html`<tr><td>${w}</td><td>${found[i]}</td><td>${removed[i]}</td></tr>`).reverse()}</tbody></table>`;
}
