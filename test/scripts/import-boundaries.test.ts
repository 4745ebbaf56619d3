import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The project's own eslint.config.js, as `npm test` runs it.
const eslint = new ESLint({ cwd: root });

/** The import-boundary messages for `code` as if it were the file at `file` (repository-relative). */
async function boundaryMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'vigil/import-boundaries').map((m) => m.message);
}

describe('the import-boundary lint rule', () => {
  it('reports a runner that reaches into the reconciler, at any depth of relative path', async () => {
    expect(await boundaryMessages('runners/monitor/fixture.ts', "import { plan } from '../../reconciler/plan.js';\nexport { plan };\n"))
      .toEqual(["runners/ may import only runners/, core/, native/ (../shared/DESIGN.md): '../../reconciler/plan.js' reaches reconciler/"]);
    expect(await boundaryMessages('runners/fixture.ts', "export * from '../reconciler/plan.js';\n")).toHaveLength(1);
  });

  it('allows what DESIGN.md allows: core and native from runners, the part itself, packages', async () => {
    expect(await boundaryMessages('runners/monitor/fixture.ts', [
      "import { VigilError } from '../../core/errors.js';",
      "import { frameFingerprint } from '../../native/fingerprint.js';",
      "import { frameSink } from '../media/raw-frames.js';",
      "import fs from 'node:fs';",
      "import pg from 'pg';",
      'export { VigilError, frameFingerprint, frameSink, fs, pg };',
    ].join('\n'))).toEqual([]);
    expect(await boundaryMessages('core/catalog/fixture.ts', "import schema from '../../schemas/content.schema.json' with { type: 'json' };\nexport { schema };\n")).toEqual([]);
    expect(await boundaryMessages('bot/github/fixture.ts', "import { plan } from '../../reconciler/plan.js';\nexport { plan };\n")).toEqual([]);
  });

  it('keeps core free of every other part, type-only and dynamic imports included', async () => {
    const messages = await boundaryMessages('core/db/fixture.ts', [
      "import type { Round } from '../../runners/monitor/round.js';",
      "export const load = () => import('../../reconciler/apply.js');",
      'export type R = Round;',
      "export type S = import('../../bot/github/app.js').App;",
    ].join('\n'));
    expect(messages).toEqual([
      "core/ may import only core/, schemas/ (../shared/DESIGN.md): '../../runners/monitor/round.js' reaches runners/",
      "core/ may import only core/, schemas/ (../shared/DESIGN.md): '../../reconciler/apply.js' reaches reconciler/",
      "core/ may import only core/, schemas/ (../shared/DESIGN.md): '../../bot/github/app.js' reaches bot/",
    ]);
  });

  it('lets nothing but cli/, test/, bench/ and scripts/ import bot/, web/ or edge/', async () => {
    const reach = "import { a } from '../bot/x.js';\nimport { b } from '../web/y.js';\nimport { c } from '../edge/z.js';\nexport { a, b, c };\n";
    expect(await boundaryMessages('reconciler/fixture.ts', reach)).toHaveLength(3);
    expect(await boundaryMessages('web/fixture.ts', reach)).toHaveLength(2);
    for (const free of ['cli', 'test', 'bench', 'scripts']) expect(await boundaryMessages(`${free}/fixture.ts`, reach)).toEqual([]);
  });

  it('reports a path that leaves the repository', async () => {
    expect(await boundaryMessages('native/fixture.ts', "import x from '../../elsewhere/x.js';\nexport { x };\n"))
      .toEqual(["native/ may import only native/ (../shared/DESIGN.md): '../../elsewhere/x.js' reaches outside the repository"]);
  });
});
