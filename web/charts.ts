import { escapeHtml } from './html.js';

/**
 * Charts as SVG made on the server from the numbers (no script, no build step): grouped bars per
 * period, one colour per series, with the axis scaled to a round maximum. Pure: the same data give
 * the same SVG, so a test can read the bars back.
 */

export interface ChartSeries {
  name: string;
  color: string;
  values: readonly number[];
}

export interface BarChart {
  title: string;
  /** One label per period (a week's Monday, yyyy-MM-dd). */
  labels: readonly string[];
  series: readonly ChartSeries[];
}

/** 1, 2, 5 × 10^n at or above the largest value, so the grid lines fall on numbers a person reads. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((m) => m * power).find((m) => m >= value))!;
}

const WIDTH = 760;
const HEIGHT = 260;
const PAD = { left: 44, right: 12, top: 28, bottom: 46 };

export function barChartSvg(chart: BarChart): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(0, ...chart.series.flatMap((s) => s.values)));
  const slot = plotW / Math.max(1, chart.labels.length);
  const barW = Math.max(1, (slot * 0.8) / Math.max(1, chart.series.length));
  const y = (v: number): number => PAD.top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${PAD.left}" y="16" font-size="13" font-weight="600">${escapeHtml(chart.title)}</text>`);
  // 2 × 10^n splits in four, 1 and 5 × 10^n in five: every grid line is a round number.
  const divisions = max / 10 ** Math.floor(Math.log10(max)) === 2 ? 4 : 5;
  for (let i = 0; i <= divisions; i++) {
    const v = (max / divisions) * i;
    parts.push(`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e6ea"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end">${Number.isInteger(v) ? v : v.toFixed(1)}</text>`);
  }
  chart.labels.forEach((label, i) => {
    const x0 = PAD.left + slot * i + slot * 0.1;
    chart.series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      const top = y(v);
      parts.push(`<rect class="bar" data-series="${escapeHtml(s.name)}" data-label="${escapeHtml(label)}" data-value="${v}" x="${(x0 + barW * k).toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${(PAD.top + plotH - top).toFixed(1)}" fill="${s.color}"><title>${escapeHtml(`${s.name}, week of ${label}: ${v}`)}</title></rect>`);
    });
    // Every label would overlap on half a year of weeks: one in every few is enough to read the axis.
    const every = Math.ceil(chart.labels.length / 10);
    if (i % every === 0) parts.push(`<text x="${(x0 + slot * 0.4).toFixed(1)}" y="${HEIGHT - PAD.bottom + 14}" font-size="10" text-anchor="middle">${escapeHtml(label.slice(5))}</text>`);
  });
  chart.series.forEach((s, k) => {
    const x = PAD.left + k * 130;
    parts.push(`<rect x="${x}" y="${HEIGHT - 16}" width="10" height="10" fill="${s.color}"/><text x="${x + 14}" y="${HEIGHT - 7}" font-size="11">${escapeHtml(s.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeHtml(chart.title)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">${parts.join('')}</svg>`;
}

/** The Monday (UTC) of the week holding `date`, as yyyy-MM-dd: PostgreSQL's date_trunc('week'). */
export function weekOf(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/** The `count` weeks ending with the one holding `end`, oldest first, so weeks with nothing still show. */
export function lastWeeks(end: Date, count: number): string[] {
  const last = new Date(`${weekOf(end)}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(last.getTime() - (count - 1 - i) * 7 * 86_400_000).toISOString().slice(0, 10));
}
