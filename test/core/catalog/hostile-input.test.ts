import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog, loadCatalogDir } from '../../../core/catalog/load.js';
import { hasErrors } from '../../../core/catalog/diagnostics.js';

// A hostile file must end in one clear error, quickly: these tests time out at 5 s instead of hanging CI.
const QUICK = { timeout: 5000 };

function only(files: { path: string; content: string | Buffer }[]) {
  const { diagnostics, catalog } = loadCatalog(files);
  return { errors: diagnostics.filter((d) => d.severity === 'error'), catalog };
}

describe('hostile catalog input', () => {
  it('rejects a file over the size limit without parsing it', QUICK, () => {
    const huge = `# ${'x'.repeat(3 * 1024 * 1024)}\n`;
    const { errors } = only([{ path: 'huge.yaml', content: huge }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'huge.yaml', line: 1 });
    expect(errors[0]!.message).toMatch(/3\.0 MiB.*at most 2 MiB/);
  });

  it('rejects binary junk as not being text', QUICK, () => {
    const junk = Buffer.concat([Buffer.from('kind: Content\n'), randomBytes(4096), Buffer.from([0])]);
    const { errors } = only([{ path: 'junk.yaml', content: junk }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/binary data/);
  });

  it('rejects text that is not UTF-8', QUICK, () => {
    const latin1 = Buffer.from('apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: caf\xe9\n', 'latin1');
    const { errors } = only([{ path: 'latin1.yaml', content: latin1 }]);
    expect(errors[0]!.message).toMatch(/not UTF-8/);
  });

  it('rejects deeply nested flow collections with the line where the nesting gets too deep', QUICK, () => {
    const deep = `apiVersion: vigil/v1\nkind: Content\nspec: ${'['.repeat(100_000)}`;
    const { errors } = only([{ path: 'deep.yaml', content: deep }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'deep.yaml', line: 3 });
    expect(errors[0]!.message).toMatch(/nesting deeper than 64/);
  });

  it('rejects deeply nested block mappings too', QUICK, () => {
    const lines = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    const { errors } = only([{ path: 'block.yaml', content: `${lines} x\n` }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/nesting deeper/);
  });

  it('stops a billion-laughs alias bomb at the alias limit', QUICK, () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) levels.push(`${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(9).fill(`*${'abcdefghij'[i - 1]}`).join(',')}]`);
    const { errors } = only([{ path: 'lol.yaml', content: levels.join('\n') }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/too many alias expansions/);
  });

  it('reports every duplicate key with its line', QUICK, () => {
    const { errors } = only([{ path: 'dup.yaml', content: 'kind: Content\nkind: Recipient\nmetadata:\n  id: a\n  id: b\n' }]);
    expect(errors.map((e) => e.line)).toEqual([2, 5]);
  });

  it('reads an empty file and a comment-only document as nothing, not as an error', () => {
    const { errors, catalog } = only([{ path: 'empty.yaml', content: '' }, { path: 'comments.yaml', content: '# nothing yet\n---\n' }]);
    expect(errors).toEqual([]);
    expect(catalog.documents).toEqual([]);
  });

  it('reports a missing catalog directory with its code and fix', async () => {
    await expect(loadCatalogDir('/nonexistent/catalog')).rejects.toMatchObject({ code: 'VIGIL-E0101' });
  });
});

describe('the example catalog', () => {
  it('validates with no errors and exercises every kind', async () => {
    const { diagnostics, catalog } = await loadCatalogDir(path.join(import.meta.dirname, '../../../catalog'));
    expect(hasErrors(diagnostics)).toBe(false);
    const kinds = new Set(catalog.documents.map((d) => d.kind));
    expect([...kinds].sort()).toEqual(['Content', 'EmbedJob', 'MonitoringJob', 'Policy', 'Recipient', 'Site']);
  });

  it('warns when a watermarked title has automatic takedown', () => {
    const content = 'apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: c\nspec:\n  type: film\n  title: T\n  releaseDate: 2026-01-01\n  watermarked: true\n';
    const job = 'apiVersion: vigil/v1\nkind: MonitoringJob\nmetadata:\n  id: w\nspec:\n  content: c\n  takedown: automatic\n';
    const { diagnostics } = loadCatalog([{ path: 'a.yaml', content }, { path: 'b.yaml', content: job }]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'warning', file: 'b.yaml', line: 7, kind: 'MonitoringJob', id: 'w' });
    expect(diagnostics[0]!.message).toMatch(/removes the copy that watermark detection needs/);
  });
});
