import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/main.js';
import { runCli } from '../support/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('vigil help and version', () => {
  it.each(Object.keys(COMMANDS))('vigil help %s names every option its parser accepts', async (name) => {
    const accepted = Object.keys(COMMANDS[name]!.options);
    const shown = (await runCli(['help', name], {}, ROOT)).stdout;
    const missing = accepted.filter((option) => !new RegExp(`--${option}(?![\\w-])`).test(shown));
    expect(missing, `vigil help ${name} does not show: ${missing.map((o) => `--${o}`).join(', ')}`).toEqual([]);
  });

  it('vigil help lists every command, help and version', async () => {
    const run = await runCli(['help'], {}, ROOT);
    expect(run.code).toBe(0);
    for (const name of [...Object.keys(COMMANDS), 'help', 'version']) expect(run.stdout).toMatch(new RegExp(`^  vigil ${name}\\b`, 'm'));
  });

  it('vigil --version and vigil version print the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const argv of [['--version'], ['version'], ['-V']]) {
      const run = await runCli(argv, {}, ROOT);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`vigil ${version}\n`);
    }
  });
});
