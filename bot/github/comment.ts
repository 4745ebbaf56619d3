import { formatDiagnostic } from '../../core/catalog/diagnostics.js';
import { codeBlock, shortSha, truncate } from './markdown.js';
import type { PlanReport } from './report.js';

/** Marks the one plan comment Vigil keeps per pull request; it opens the body, so a quote of it never matches. */
export const PLAN_MARKER = '<!-- vigil:plan -->';

/** GitHub refuses comment bodies over 65536 characters. */
const MAX_BODY = 65_000;
/** Problems listed in the comment; the check run carries them all as annotations. */
const MAX_PROBLEMS = 50;

export function isPlanComment(body: string | null | undefined): boolean {
  return typeof body === 'string' && body.startsWith(PLAN_MARKER);
}

function headline(report: PlanReport): string {
  if (report.errors > 0) return `### ❌ Vigil plan: ${report.errors} error(s)${report.warnings ? `, ${report.warnings} warning(s)` : ''}`;
  if (report.warnings > 0) return `### ⚠️ Vigil plan: ready, with ${report.warnings} warning(s)`;
  return '### ✅ Vigil plan: ready to apply';
}

/**
 * The plan comment, Atlantis style: what changes (as a diff), the summary line, what is wrong and
 * where, and the commit it describes, so a reviewer reads it in ten seconds.
 */
export function planComment(report: PlanReport): string {
  const where = report.catalogPath === '' ? 'the repository root' : `\`${report.catalogPath}/\``;
  const parts = [PLAN_MARKER, headline(report), ''];
  if (report.changes && report.changes.length > 0) parts.push(codeBlock(report.changes.join('\n'), 'diff'), '');
  parts.push(`**${report.summary}**`, '');
  if (report.diagnostics.length > 0) {
    const shown = report.diagnostics.slice(0, MAX_PROBLEMS).map((d) => formatDiagnostic(d, report.catalogPath));
    if (report.diagnostics.length > MAX_PROBLEMS) shown.push(`… and ${report.diagnostics.length - MAX_PROBLEMS} more (see the vigil/plan check run)`);
    parts.push(`**Validation problems** (${report.diagnostics.length}):`, '', codeBlock(shown.join('\n'), 'text'), '');
  }
  parts.push(
    `<sub>Commit ${report.commit} · ${report.files} catalog file(s) in ${where} · planned against the live database.` +
      ' Merging this pull request applies this plan; this comment is updated on every push.</sub>',
  );
  return truncate(parts.join('\n'), MAX_BODY, `\n\n… (truncated; commit ${shortSha(report.commit)})`);
}

/** What the comment becomes when a later push takes the catalog out of the pull request. */
export function noCatalogComment(commit: string, catalogPath: string): string {
  const where = catalogPath === '' ? 'catalog files' : `\`${catalogPath}/\``;
  return [PLAN_MARKER, '### Vigil plan: nothing to plan', '', `As of commit ${commit} this pull request no longer changes ${where}.`].join('\n');
}
