import { describe, expect, it } from 'vitest';
import { catalogRelative, normalizeCatalogPath, touchesCatalog } from '../../../bot/github/catalog-path.js';
import { ANNOTATIONS_PER_REQUEST, annotationOf, completionUpdates } from '../../../bot/github/check-run.js';
import { isPlanComment, planComment, PLAN_MARKER } from '../../../bot/github/comment.js';
import { codeBlock } from '../../../bot/github/markdown.js';
import { buildReport, type PlanReport } from '../../../bot/github/report.js';
import { emptyActualState } from '../../../reconciler/actual.js';
import type { Diagnostic } from '../../../core/catalog/diagnostics.js';

const error = (file: string, line: number, message = 'bad'): Diagnostic => ({ severity: 'error', file, line, col: 3, kind: 'Recipient', id: 'r', message });

function report(overrides: Partial<PlanReport>): PlanReport {
  return { commit: 'c'.repeat(40), catalogPath: 'catalog', files: 1, diagnostics: [], errors: 0, warnings: 0, changes: [], summary: 'No changes.', ...overrides };
}

describe('catalog path', () => {
  it('normalizes the configured catalog path as GitHub names paths', () => {
    expect(normalizeCatalogPath('./catalog/')).toBe('catalog');
    expect(normalizeCatalogPath('/ops/catalog')).toBe('ops/catalog');
    expect(normalizeCatalogPath('.')).toBe('');
    expect(normalizeCatalogPath('./')).toBe('');
  });

  it('counts only files inside the catalog directory, not a sibling with the same prefix', () => {
    expect(touchesCatalog(['catalogue/x.yaml', 'docs/catalog/y.yaml', 'catalog.yaml'], 'catalog')).toBe(false);
    expect(touchesCatalog(['README.md', 'catalog/recipients/a.yaml'], 'catalog')).toBe(true);
    expect(touchesCatalog(['README.md'], '')).toBe(false);
    expect(touchesCatalog(['recipients/a.yml'], '')).toBe(true);
  });

  it('reads YAML under the catalog only, skipping dot-folders and node_modules as on disk', () => {
    expect(catalogRelative('catalog', 'catalog/recipients/a.yaml')).toBe('recipients/a.yaml');
    expect(catalogRelative('catalog', 'catalog/README.md')).toBeUndefined();
    expect(catalogRelative('catalog', 'catalog/.github/x.yaml')).toBeUndefined();
    expect(catalogRelative('catalog', 'catalog/node_modules/x.yaml')).toBeUndefined();
    expect(catalogRelative('', '.github/workflows/ci.yml')).toBeUndefined();
  });
});

describe('check run', () => {
  it('annotates at the path relative to the repository root, failures and warnings apart', () => {
    expect(annotationOf(error('recipients/a.yaml', 7), 'catalog')).toMatchObject({ path: 'catalog/recipients/a.yaml', start_line: 7, end_line: 7, start_column: 3, annotation_level: 'failure', title: 'Recipient/r' });
    expect(annotationOf({ ...error('a.yaml', 2), severity: 'warning' }, '')).toMatchObject({ path: 'a.yaml', annotation_level: 'warning' });
  });

  it('leaves out a diagnostic without a file, which GitHub would refuse', () => {
    expect(annotationOf(error('-', 1), 'catalog')).toBeUndefined();
  });

  it('sends 120 annotations as 50 + 50 + 20, completing only with the last update', () => {
    const diagnostics = Array.from({ length: 120 }, (_, i) => error('recipients/a.yaml', i + 1));
    const updates = completionUpdates(report({ diagnostics, errors: 120, changes: undefined }), new Date(0));
    expect(updates.map((u) => u.output.annotations?.length)).toEqual([ANNOTATIONS_PER_REQUEST, ANNOTATIONS_PER_REQUEST, 20]);
    expect(updates.map((u) => u.conclusion)).toEqual([undefined, undefined, 'failure']);
    for (const u of updates) expect(u.output.title).toBe('120 error(s) in the catalog');
  });

  it('succeeds with warnings only, in one update', () => {
    const updates = completionUpdates(report({ diagnostics: [{ ...error('a.yaml', 1), severity: 'warning' }], warnings: 1 }), new Date(0));
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
  });
});

describe('plan comment', () => {
  it('opens with the marker; a quote of it is not the plan comment', () => {
    const body = planComment(report({ changes: ['+ Recipient/r  new'], summary: 'Plan: 1 to add.' }));
    expect(body.startsWith(PLAN_MARKER)).toBe(true);
    expect(isPlanComment(body)).toBe(true);
    expect(isPlanComment(`> ${body}`)).toBe(false);
    expect(isPlanComment(null)).toBe(false);
  });

  it('keeps catalog text that holds backticks inside its code block', () => {
    const block = codeBlock('+ Content/x  title: "```oops"', 'diff');
    expect(block.startsWith('````diff\n')).toBe(true);
    expect(block.endsWith('\n````')).toBe(true);
  });

  it('stays under GitHub\'s comment size limit for a huge plan', () => {
    const changes = Array.from({ length: 5000 }, (_, i) => `+ Content/title-${i}  ${'x'.repeat(40)}`);
    expect(planComment(report({ changes })).length).toBeLessThanOrEqual(65_536);
  });
});

describe('the plan of a pull request', () => {
  const site = `apiVersion: vigil/v1
kind: Site
metadata: { id: lab-indexer }
spec:
  type: piracy
  category: torrent
  domains: [indexer.example]
  sources:
    - { type: torznab, url: "https://indexer.example/api", apiKeyEnv: VIGIL_LAB_INDEXER_KEY }
`;
  const plan = (sourceEnvPrefix: string) => buildReport({
    commit: 'c'.repeat(40), catalogPath: 'catalog', files: [{ path: 'catalog/sites.yaml', content: site }],
    actual: emptyActualState(), now: new Date('2026-06-01T00:00:00Z'), sourceEnvPrefix,
  });

  it('checks source credentials against the configured prefix, as vigil validate does', () => {
    expect(plan('VIGIL_LAB_').errors).toBe(0);
    const refused = plan('VIGIL_SOURCE_');
    expect(refused.errors).toBe(1);
    expect(refused.diagnostics[0]).toMatchObject({ file: 'catalog/sites.yaml', line: 9, message: expect.stringContaining('VIGIL_SOURCE_') });
  });
});

