import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { WorkReport } from './creator.js';

/**
 * The report's charts: Vega-Lite specs rendered to SVG by Vega in Node (no browser, no canvas), and
 * the SVG rasterized to PNG by resvg (an e-mail client shows PNG where it would not show SVG).
 */

export interface Chart {
  /** A file-safe name, unique within a report: WORK-weekly, WORK-sites. */
  name: string;
  title: string;
  svg: string;
  png: Buffer;
}

// resvg finds fonts by family among the system's: DejaVu Sans comes with Debian's fonts-dejavu-core.
const FONT = 'DejaVu Sans, sans-serif';
const CONFIG = { font: FONT, background: 'white', view: { stroke: null } } as const;

export function weeklySpec(work: WorkReport): TopLevelSpec {
  const values = work.weekly.flatMap((w) => [{ week: w.week, kind: 'found', links: w.found }, { week: w.week, kind: 'removed', links: w.removed }]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${work.title}: links found and removed per week`,
    width: 520, height: 180, config: CONFIG,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'week', type: 'ordinal', title: 'week of', axis: { labelAngle: -45 } },
      xOffset: { field: 'kind' },
      y: { field: 'links', type: 'quantitative', title: 'links', axis: { tickMinStep: 1 } },
      color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['found', 'removed'], range: ['#d62728', '#2ca02c'] } },
    },
  };
}

export function sitesSpec(work: WorkReport): TopLevelSpec {
  const values = work.topSites.map((s) => ({ site: s.name, removed: s.removed, open: s.found - s.removed }))
    .flatMap((s) => [{ site: s.site, kind: 'removed', links: s.removed }, { site: s.site, kind: 'not yet removed', links: s.open }]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${work.title}: removals by site`,
    width: 420, height: { step: 22 }, config: CONFIG,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'site', type: 'nominal', title: null, sort: { field: 'links', op: 'sum', order: 'descending' } },
      x: { field: 'links', type: 'quantitative', title: 'links', stack: 'zero', axis: { tickMinStep: 1 } },
      color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['removed', 'not yet removed'], range: ['#2ca02c', '#bbbbbb'] } },
    },
  };
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}

/** A file-safe form of a content id (ids are already lower-case letters, digits and '-'). */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

export async function workCharts(work: WorkReport): Promise<Chart[]> {
  const specs: { name: string; title: string; spec: TopLevelSpec }[] = [
    { name: `${safe(work.contentId)}-weekly`, title: 'Links found and removed per week', spec: weeklySpec(work) },
  ];
  if (work.topSites.length > 0) specs.push({ name: `${safe(work.contentId)}-sites`, title: 'Removals by site', spec: sitesSpec(work) });
  const charts: Chart[] = [];
  for (const s of specs) {
    const svg = await renderSvg(s.spec);
    charts.push({ name: s.name, title: s.title, svg, png: svgToPng(svg) });
  }
  return charts;
}
