import type { ActualState } from '../../reconciler/actual.js';
import { loadCatalog } from '../../core/catalog/load.js';
import type { SourceFile } from '../../core/catalog/parse.js';
import { desiredState } from '../../reconciler/desired.js';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../../core/catalog/diagnostics.js';
import { plan } from '../../reconciler/plan.js';
import { rejectionDiagnostics, renderPlanText } from '../../reconciler/render.js';

/** Everything the check run and the PR comment say about one commit of the catalog. */
export interface PlanReport {
  /** The commit planned (the PR head). */
  commit: string;
  /** Catalog directory relative to the repository root ('' for the root); diagnostics are relative to it. */
  catalogPath: string;
  files: number;
  /** Validation problems and plan rejections, sorted by file and line. */
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  /** The `+ ~ - !` lines of the plan, undefined when validation failed and no plan was made. */
  changes: string[] | undefined;
  /** One line: the plan's summary, or why there is no plan. */
  summary: string;
}

/** Plan lines kept in a report; a PR that changes more is summarized, not listed. */
export const MAX_PLAN_LINES = 500;

/**
 * validate + plan, exactly as `vigil validate` and `vigil plan` do, for files read from GitHub and
 * the actual state read from the live database. Pure: the I/O happens in the caller.
 */
export function buildReport(input: {
  commit: string;
  catalogPath: string;
  files: readonly SourceFile[];
  /** Problems found while reading the files (e.g. a file too large to fetch). */
  readDiagnostics?: readonly Diagnostic[];
  actual: ActualState;
  now: Date;
  /** The prefix a source's apiKeyEnv must carry (config sourceEnvPrefix), as vigil validate checks it. */
  sourceEnvPrefix: string;
}): PlanReport {
  const loaded = loadCatalog(input.files, { sourceEnvPrefix: input.sourceEnvPrefix });
  const diagnostics = [...(input.readDiagnostics ?? []), ...loaded.diagnostics];
  let changes: string[] | undefined;
  let summary: string;
  if (hasErrors(diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    summary = `Not planned: the catalog has ${errors} error(s); fix them and push again.`;
  } else {
    const p = plan(desiredState(loaded.catalog), input.actual, input.now);
    diagnostics.push(...rejectionDiagnostics(p.rejections, loaded.catalog));
    // renderPlanText ends with a blank line and the summary line; the lines above are the changes.
    const lines = renderPlanText(p, MAX_PLAN_LINES).split('\n');
    summary = lines.pop() ?? '';
    changes = lines.filter((line) => line.trim() !== '').map((line) => line.replace(/^ {2}/, ''));
  }
  const sorted = sortDiagnostics(diagnostics);
  return {
    commit: input.commit,
    catalogPath: input.catalogPath,
    files: input.files.length,
    diagnostics: sorted,
    errors: sorted.filter((d) => d.severity === 'error').length,
    warnings: sorted.filter((d) => d.severity === 'warning').length,
    changes,
    summary,
  };
}

export function failed(report: PlanReport): boolean {
  return report.errors > 0;
}
