import { html, when, type Html } from '../html.js';
import { monitoringJobs, type Queryable } from '../records.js';

/** Monitoring jobs: status (and why, since when), schedule (every, start, stop) and what they found. */

export function every(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  const [size, unit] = units.find(([u]) => ms >= u && ms % u === 0) ?? [1, 'ms'];
  return `${ms / size}${unit}`;
}

export async function jobsPage(db: Queryable): Promise<Html> {
  const jobs = await monitoringJobs(db);
  if (jobs.length === 0) return html`<p>No monitoring job applied yet (vigil apply).</p>`;
  return html`<table id="jobs"><thead><tr><th>Job</th><th>Title</th><th>Tier</th><th>Status</th><th>Since</th><th>Schedule</th><th>Detection / takedown</th><th>Findings</th></tr></thead><tbody>
${jobs.map((j) => html`<tr data-job="${j.id}"><td>${j.id}</td><td>${j.title ?? j.contentId}</td><td>${j.tier}</td><td class="status">${j.status}${j.statusReason ? html`<br><small>${j.statusReason}</small>` : ''}</td>
<td>${when(j.statusSince)}</td><td>every ${every(j.everyMs)} from ${j.startDate}${j.stopDate ? ` to ${j.stopDate}` : ''}</td><td>${j.detection} / ${j.takedown}</td>
<td><a href="/findings?content=${encodeURIComponent(j.contentId)}">${j.findings}</a>${j.lastFinding ? ` (last ${when(j.lastFinding)})` : ''}</td></tr>`)}</tbody></table>`;
}
