import type { Catalog } from '../core/catalog/catalog.js';
import type { PathSegment } from '../core/catalog/types.js';
import { diagnostic, type Diagnostic } from '../core/catalog/diagnostics.js';
import type { Change, Plan, Rejection } from './plan.js';

export type PlanSymbol = '+' | '~' | '-' | '!';

/** One line of a plan as a reviewer reads it. */
export interface PlanLine {
  symbol: PlanSymbol;
  subject: string;
  detail: string;
}

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function planLine(change: Change): PlanLine {
  switch (change.op) {
    case 'create':
      return { symbol: '+', subject: `${change.object.kind}/${change.object.id}`, detail: `${change.object.source.file}:${change.object.source.line}` };
    case 'update':
      return { symbol: '~', subject: `${change.object.kind}/${change.object.id}`, detail: change.fields.map((f) => `${f.field}: ${show(f.from)} → ${show(f.to)}`).join('; ') };
    case 'repair':
      return { symbol: '!', subject: `${change.object.kind}/${change.object.id}`, detail: `repair: ${change.reason}` };
    case 'delete':
      return { symbol: '-', subject: `${change.kind}/${change.id}`, detail: 'removed from the catalog' };
    case 'allocate':
      return { symbol: '+', subject: `Recipient/${change.recipientId}`, detail: `watermark ID ${change.watermarkId} allocated to ${change.name}${change.retired ? ' (retired)' : ''}` };
    case 'retire':
      return { symbol: '-', subject: `Recipient/${change.recipientId}`, detail: `retire; watermark ID ${change.watermarkId} stays reserved forever` };
    case 'reinstate':
      return { symbol: '+', subject: `Recipient/${change.recipientId}`, detail: `reinstate with watermark ID ${change.watermarkId}` };
    case 'rename':
      return { symbol: '~', subject: `Recipient/${change.recipientId}`, detail: `name: ${change.from} → ${change.to}` };
    case 'job': {
      const symbol: PlanSymbol = change.reason.startsWith('drift') ? '!' : change.from === null ? '+' : change.to === 'Stopped' ? '-' : '~';
      return { symbol, subject: `MonitoringJob/${change.job.id}`, detail: `${change.from ?? '(new)'} → ${change.to}: ${change.reason}` };
    }
  }
}

export interface PlanSummary {
  add: number;
  change: number;
  remove: number;
  repair: number;
  rejected: number;
}

const SUMMARY_KEY: Record<PlanSymbol, keyof PlanSummary> = { '+': 'add', '~': 'change', '-': 'remove', '!': 'repair' };

export function summarize(p: Plan): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, remove: 0, repair: 0, rejected: p.rejections.length };
  for (const c of p.changes) summary[SUMMARY_KEY[planLine(c).symbol]]++;
  return summary;
}

export function summaryLine(s: PlanSummary): string {
  if (s.add + s.change + s.remove + s.repair === 0 && s.rejected === 0) return 'No changes. The running state matches the catalog.';
  const parts = [`${s.add} to add`, `${s.change} to change`, `${s.remove} to stop or retire`, `${s.repair} to repair`];
  if (s.rejected > 0) parts.push(`${s.rejected} rejected`);
  return `Plan: ${parts.join(', ')}.`;
}

/** Changes the database refuses (e.g. a changed watermark ID), located in the catalog like any other error. */
export function rejectionDiagnostics(rejections: readonly Rejection[], catalog: Catalog): Diagnostic[] {
  return rejections.map((r) => {
    const doc = catalog.byKind[r.kind].get(r.id);
    const path: PathSegment[] = r.field.split('.');
    const position = doc ? doc.source.locate(path) : { line: 1, col: 1 };
    return diagnostic('error', doc?.source.file ?? '-', position, r.message, { kind: r.kind, id: r.id });
  });
}

export function renderPlanText(p: Plan, max = Infinity): string {
  const lines = p.changes.map(planLine);
  const width = Math.min(48, Math.max(0, ...lines.map((l) => l.subject.length)));
  const shown = lines.slice(0, max).map((l) => `  ${l.symbol} ${l.subject.padEnd(width)}  ${l.detail}`);
  if (lines.length > max) shown.push(`  … and ${lines.length - max} more`);
  return [...shown, ...(shown.length ? [''] : []), summaryLine(summarize(p))].join('\n');
}

export function planJson(p: Plan): unknown {
  return {
    today: p.today,
    summary: summarize(p),
    changes: p.changes.map((c) => ({ op: c.op, ...planLine(c) })),
    rejections: p.rejections,
  };
}
