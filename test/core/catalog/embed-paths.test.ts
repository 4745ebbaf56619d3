import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../core/catalog/load.js';
import { formatDiagnostic } from '../../../core/catalog/diagnostics.js';
import { pathProblem } from '../../../core/catalog/paths.js';

const RECIPIENT = 'apiVersion: vigil/v1\nkind: Recipient\nmetadata: { id: r }\nspec: { name: r, watermarkId: 1 }\n';
const POLICY = 'apiVersion: vigil/v1\nkind: Policy\nmetadata: { id: p }\nspec:\n  paths: { allowExternalInputs: true }\n';

function embedJob(input: string, output: string, image = 'logo.png'): string {
  return `apiVersion: vigil/v1\nkind: EmbedJob\nmetadata: { id: e }\nspec:\n  input: ${input}\n  output: ${output}\n  recipients: [r]\n  visible: { image: ${image} }\n`;
}

function errors(...docs: string[]): string[] {
  const { diagnostics } = loadCatalog([{ path: 'a.yaml', content: docs.join('---\n') }]);
  return diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d));
}

describe('EmbedJob paths', () => {
  it('names every way out of a folder: "..", absolute, backslashes, percent-encoding and NUL', () => {
    const strict = { allowOutside: false };
    expect(pathProblem('out/{recipient}.mp4', strict)).toBeUndefined();
    expect(pathProblem('out/..hidden/{recipient}.mp4', strict)).toBeUndefined();
    expect(pathProblem('out/../x', strict)).toBe('has a ".." segment');
    expect(pathProblem('..', strict)).toBe('has a ".." segment');
    expect(pathProblem('out\\..\\x', strict)).toBe('has a ".." segment');
    expect(pathProblem('out/%2E%2E/x', strict)).toBe('has a ".." segment (once decoded)');
    expect(pathProblem('out%2f%2e%2e%5cx', strict)).toBe('has a ".." segment (once decoded)');
    expect(pathProblem('/tmp/x', strict)).toBe('is an absolute path');
    expect(pathProblem('\\\\server\\share\\x', strict)).toBe('is an absolute path');
    expect(pathProblem('d:x', strict)).toBe('is an absolute path');
    expect(pathProblem('%2ftmp/x', strict)).toBe('is an absolute path (once decoded)');
    expect(pathProblem('in.mp4\u0000.txt', { allowOutside: true })).toBe('holds a NUL character');
    expect(pathProblem('in.mp4%00.txt', { allowOutside: true })).toBe('holds a NUL character');
  });

  it('lets Policy spec.paths.allowExternalInputs open inputs and images outside, never outputs', () => {
    const job = embedJob('/media/masters/film.mp4', '../{recipient}.mp4', '../brand/logo.png');
    expect(errors(RECIPIENT, job)).toEqual([
      'a.yaml:10:10: EmbedJob/e: spec.input "/media/masters/film.mp4" is an absolute path: give a path relative to where vigil embed runs, or allow media outside it with Policy spec.paths.allowExternalInputs: true',
      'a.yaml:11:11: EmbedJob/e: spec.output "../{recipient}.mp4" has a ".." segment: outputs are always written inside the output directory (vigil embed --out): write a relative pattern without ".."',
      'a.yaml:13:21: EmbedJob/e: spec.visible.image "../brand/logo.png" has a ".." segment: give a path relative to where vigil embed runs, or allow media outside it with Policy spec.paths.allowExternalInputs: true',
    ]);
    expect(errors(RECIPIENT, POLICY, job)).toEqual([
      'a.yaml:17:11: EmbedJob/e: spec.output "../{recipient}.mp4" has a ".." segment: outputs are always written inside the output directory (vigil embed --out): write a relative pattern without ".."',
    ]);
    expect(errors(RECIPIENT, POLICY, embedJob('/media/masters/film.mp4', 'out/{recipient}.mp4'))).toEqual([]);
  });
});
