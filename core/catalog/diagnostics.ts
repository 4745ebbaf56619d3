import type { Kind, Position } from './types.js';

export type Severity = 'error' | 'warning';

/** One problem found in a catalog, located at a file, line and column. */
export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  col: number;
  kind?: Kind | undefined;
  id?: string | undefined;
  message: string;
}

export function diagnostic(
  severity: Severity,
  file: string,
  position: Position,
  message: string,
  subject?: { kind?: Kind | undefined; id?: string | undefined },
): Diagnostic {
  return { severity, file, line: position.line, col: position.col, kind: subject?.kind, id: subject?.id, message };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

function subjectOf(d: Diagnostic): string {
  if (d.kind && d.id) return `${d.kind}/${d.id}`;
  if (d.kind) return `${d.kind}/?`;
  return 'yaml';
}

/** `FILE:LINE:COL: kind/id: message`; warnings say so before the message. */
export function formatDiagnostic(d: Diagnostic, root = ''): string {
  const file = root ? `${root.replace(/\/+$/, '')}/${d.file}` : d.file;
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return `${file}:${d.line}:${d.col}: ${subjectOf(d)}: ${prefix}${d.message}`;
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.message.localeCompare(b.message));
}
