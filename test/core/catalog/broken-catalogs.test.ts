import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogDir } from '../../../core/catalog/load.js';
import { formatDiagnostic } from '../../../core/catalog/diagnostics.js';

/**
 * Each folder under fixtures/broken-catalogs is one broken catalog. The line at fault carries a
 * comment `# expect: <part of the message>`; `# expect-line: N <text>` names another line. Every
 * expected error must be reported at its file and line, and no error may be reported elsewhere.
 */
const CORPUS = path.join(import.meta.dirname, '../../fixtures/broken-catalogs');

interface Expectation {
  file: string;
  line: number;
  text: string;
}

function expectationsOf(dir: string): Expectation[] {
  const found: Expectation[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    fs.readFileSync(path.join(dir, file), 'utf8').split('\n').forEach((line, i) => {
      const explicit = /# expect-line: (\d+) (.+)$/.exec(line);
      const inline = /# expect: (.+)$/.exec(line);
      if (explicit) found.push({ file, line: Number(explicit[1]), text: explicit[2]!.trim() });
      else if (inline) found.push({ file, line: i + 1, text: inline[1]!.trim() });
    });
  }
  return found;
}

describe('broken catalogs', () => {
  const cases = fs.readdirSync(CORPUS).sort();

  it('has a corpus of at least 25 broken catalogs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const name of cases) {
    it(`rejects ${name} at the right file and line`, async () => {
      const dir = path.join(CORPUS, name);
      const expectations = expectationsOf(dir);
      expect(expectations.length, 'fixture names its expected errors').toBeGreaterThan(0);
      const { diagnostics } = await loadCatalogDir(dir);
      const errors = diagnostics.filter((d) => d.severity === 'error');
      const shown = errors.map((d) => formatDiagnostic(d)).join('\n');
      for (const e of expectations) {
        const hit = errors.find((d) => d.file === e.file && d.line === e.line && d.message.includes(e.text));
        expect(hit, `expected ${e.file}:${e.line} "${e.text}"; got:\n${shown}`).toBeDefined();
      }
      for (const d of errors) {
        const expected = expectations.some((e) => e.file === d.file && e.line === d.line);
        expect(expected, `unexpected error ${formatDiagnostic(d)}`).toBe(true);
      }
    });
  }
});
