import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../core/catalog/diagnostics.js';
import { loadCatalog } from '../../../core/catalog/load.js';
import { runCli } from '../../support/cli.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SITE = (env: string) => `apiVersion: vigil/v1
kind: Site
metadata:
  id: idx
spec:
  type: piracy
  domains: [idx.example]
  sources:
    - type: torznab
      url: https://idx.example/api
      apiKeyEnv: ${env}
`;

function errorsOf(env: string, options = {}): string[] {
  return loadCatalog([{ path: 'sites.yaml', content: SITE(env) }], options).diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d));
}

describe('source credential variables', () => {
  it('rejects a variable outside the prefix at its file:line:col, saying which prefix is allowed and why', () => {
    expect(errorsOf('AWS_SECRET_ACCESS_KEY')).toEqual([
      expect.stringMatching(/^sites\.yaml:11:18: Site\/idx: apiKeyEnv AWS_SECRET_ACCESS_KEY does not start with VIGIL_SOURCE_: .*VIGIL_SOURCE_ENV_PREFIX.*cannot send another secret of this process.*VIGIL_SOURCE_AWS_SECRET_ACCESS_KEY/),
    ]);
  });

  it("rejects Vigil's own settings whatever the prefix", () => {
    expect(errorsOf('DATABASE_URL', { sourceEnvPrefix: 'D' })[0]).toMatch(/apiKeyEnv DATABASE_URL is one of Vigil's own settings/);
    expect(errorsOf('VIGIL_WATERMARK_KEY', { sourceEnvPrefix: 'VIGIL_' })[0]).toMatch(/one of Vigil's own settings/);
  });

  it('accepts the default prefix when the caller passes none, and a configured one instead of it', () => {
    expect(errorsOf('VIGIL_SOURCE_INDEXER_KEY')).toEqual([]);
    expect(errorsOf('ACME_INDEXER_KEY', { sourceEnvPrefix: 'ACME_' })).toEqual([]);
    expect(errorsOf('VIGIL_SOURCE_INDEXER_KEY', { sourceEnvPrefix: 'ACME_' })[0]).toMatch(/does not start with ACME_/);
    expect(errorsOf('VIGIL_SOURCE_')[0]).toMatch(/does not start with VIGIL_SOURCE_/);
  });

  it('vigil validate uses VIGIL_SOURCE_ENV_PREFIX and refuses a prefix that would allow anything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-credenv-'));
    fs.writeFileSync(path.join(dir, 'sites.yaml'), SITE('ACME_INDEXER_KEY'));
    const plain = await runCli(['validate', '.'], {}, dir);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/^\.\/sites\.yaml:11:18: Site\/idx: apiKeyEnv ACME_INDEXER_KEY does not start with VIGIL_SOURCE_/m);
    const configured = await runCli(['validate', '.'], { VIGIL_SOURCE_ENV_PREFIX: 'ACME_' }, dir);
    expect(configured.stdout).toContain('0 error(s)');
    expect(configured.code).toBe(0);
    const empty = await runCli(['validate', '.'], { VIGIL_SOURCE_ENV_PREFIX: 'A' }, dir);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/VIGIL-E0103: VIGIL_SOURCE_ENV_PREFIX=A must be/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
