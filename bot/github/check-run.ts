import { formatDiagnostic, type Diagnostic } from '../../core/catalog/diagnostics.js';
import { redact } from '../../core/redact.js';
import { repoPath } from './catalog-path.js';
import { codeBlock, truncate } from './markdown.js';
import type { PlanReport } from './report.js';

/** The check a branch protection rule requires. */
export const CHECK_NAME = 'vigil/plan';
/** GitHub takes at most 50 annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Beyond this a catalog is broken enough; the rest are counted in the summary, not sent. */
export const MAX_ANNOTATIONS = 1000;
/** GitHub's limit for output.summary and output.text. */
const MAX_OUTPUT_TEXT = 65_000;

export type Conclusion = 'success' | 'failure' | 'neutral';

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title?: string;
  message: string;
}

export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}

/** The body of one PATCH of a check run; the last one of a series carries the conclusion. */
export interface CheckRunUpdate {
  status?: 'completed';
  conclusion?: Conclusion;
  completed_at?: string;
  output: CheckOutput;
}

/** An annotation for a diagnostic, at its line (and column) in the file relative to the repository root. */
export function annotationOf(d: Diagnostic, catalogPath: string): Annotation | undefined {
  // A rejection of an object no longer in the catalog has no file; GitHub would refuse the whole request.
  if (d.file === '-' || d.file === '') return undefined;
  const line = Math.max(1, d.line);
  return {
    path: repoPath(catalogPath, d.file),
    start_line: line,
    end_line: line,
    // Columns are only allowed on single-line annotations, which these are.
    start_column: Math.max(1, d.col),
    end_column: Math.max(1, d.col),
    annotation_level: d.severity === 'error' ? 'failure' : 'warning',
    title: truncate(d.kind && d.id ? `${d.kind}/${d.id}` : d.kind ?? 'YAML', 255, '…'),
    message: truncate(d.message, 60_000, '…'),
  };
}

/** Splits annotations into batches GitHub accepts in one request. */
export function batches<T>(items: readonly T[], size = ANNOTATIONS_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function title(report: PlanReport): string {
  if (report.errors > 0) return `${report.errors} error(s) in the catalog`;
  return report.summary;
}

function summary(report: PlanReport, annotated: number): string {
  const lines = [report.summary];
  if (report.errors + report.warnings > 0) lines.push('', `${report.errors} error(s), ${report.warnings} warning(s) in ${report.files} catalog file(s).`);
  if (annotated < report.diagnostics.length) lines.push('', `${annotated} of ${report.diagnostics.length} problems are annotated; the text below lists them.`);
  return truncate(lines.join('\n'), MAX_OUTPUT_TEXT);
}

function text(report: PlanReport): string {
  const parts: string[] = [];
  if (report.changes && report.changes.length > 0) parts.push('### Plan', '', codeBlock(report.changes.join('\n'), 'diff'), '');
  if (report.diagnostics.length > 0) {
    parts.push('### Problems', '', codeBlock(report.diagnostics.map((d) => formatDiagnostic(d, report.catalogPath)).join('\n'), 'text'), '');
  }
  parts.push(`Commit ${report.commit}.`);
  return truncate(parts.join('\n'), MAX_OUTPUT_TEXT);
}

/**
 * The updates that finish a check run for a report: annotations 50 at a time (GitHub appends them
 * on each update), the conclusion on the last so the check completes only once all are in place.
 */
export function completionUpdates(report: PlanReport, now: Date): CheckRunUpdate[] {
  const annotations = report.diagnostics
    .map((d) => annotationOf(d, report.catalogPath))
    .filter((a): a is Annotation => a !== undefined)
    .slice(0, MAX_ANNOTATIONS);
  const base = { title: title(report), summary: summary(report, annotations.length), text: text(report) };
  const groups = annotations.length > 0 ? batches(annotations) : [[]];
  return groups.map((group, index) => {
    const output: CheckOutput = group.length > 0 ? { ...base, annotations: group } : base;
    if (index < groups.length - 1) return { output };
    return { status: 'completed', conclusion: report.errors > 0 ? 'failure' : 'success', completed_at: now.toISOString(), output };
  });
}

/** A pull request that leaves the catalog alone: nothing to plan, nothing to block. */
export function notTouchedCompletion(catalogPath: string, now: Date): CheckRunUpdate {
  const where = catalogPath === '' ? 'any catalog file' : `${catalogPath}/`;
  return {
    status: 'completed',
    conclusion: 'neutral',
    completed_at: now.toISOString(),
    output: { title: 'No catalog changes', summary: `This pull request does not change ${where}; there is nothing to plan.` },
  };
}

/** Vigil itself failed (GitHub or the database); say so rather than leave the check spinning. */
export function erroredCompletion(message: string, now: Date): CheckRunUpdate {
  return {
    status: 'completed',
    conclusion: 'failure',
    completed_at: now.toISOString(),
    output: {
      title: 'Vigil could not plan this commit',
      // The message comes from Vigil's own failure (a service URL, a server's answer) and is shown on GitHub.
      summary: truncate(redact(`${message}\n\nThis is not a problem in the catalog. Re-run the check or push again once Vigil is healthy.`), MAX_OUTPUT_TEXT),
    },
  };
}
