import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A full-size import (50,000 rows, the most vigil import takes) run as its own process under
 * `ulimit -n 256`: every file must be written, none when one row deep inside is bad, and
 * `vigil validate` must read the result back, all within 256 open files.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const ROWS = 50_000;
const BAD_ROW = 40_000;
// About 40 s of CPU; a machine shared by many test runs needs far longer on the wall clock.
const SLOW = { timeout: 600_000 };

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-large-import-'));
  const header = 'type,title,release date,monitoring type,detection type,takedown type';
  const rows = Array.from({ length: ROWS }, (_, i) => `film,Title Number ${i},2026-01-01,standard,manual,manual`);
  await fs.writeFile(path.join(dir, 'titles.csv'), [header, ...rows].join('\n'));
  rows[BAD_ROW - 2] = 'film,"=HYPERLINK(""http://evil.example"")",2026-01-01,standard,manual,manual';
  await fs.writeFile(path.join(dir, 'titles-bad.csv'), [header, ...rows].join('\n'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function vigilUnderUlimit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, '--import', 'tsx', 'cli/run.ts', ...args], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', VIGIL_LOG_LEVEL: 'warn', NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe('a 50,000-row import under ulimit -n 256', () => {
  it('writes nothing when one row deep inside is a formula', SLOW, async () => {
    const out = path.join(dir, 'bad-catalog');
    const result = await vigilUnderUlimit('import', path.join(dir, 'titles-bad.csv'), '--out', out);
    expect(result.stderr).toContain(`titles-bad.csv:${BAD_ROW}: column "title": "=HYPERLINK(\\"http://evil.example\\")" starts with "="`);
    expect(result.stderr).toContain('1 problem(s)');
    expect(result.code).toBe(1);
    expect(await filesUnder(out)).toEqual([]);
  });

  it('writes every file, and vigil validate reads them all back', SLOW, async () => {
    const out = path.join(dir, 'catalog');
    const imported = await vigilUnderUlimit('import', path.join(dir, 'titles.csv'), '--out', out, '--format', 'json');
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ ok: true, diagnostics: [] });
    const files = await filesUnder(out);
    expect(files.length).toBe(ROWS);
    expect(new Set(files).size).toBe(ROWS);
    expect(files.every((f) => /^title-number-\d+\.yaml$/.test(f))).toBe(true);

    const validated = await vigilUnderUlimit('validate', out);
    expect(validated.stderr).toBe('');
    expect(validated.stdout).toContain(`${ROWS} file(s), ${2 * ROWS} document(s): 0 error(s), 0 warning(s)`);
    expect(validated.code).toBe(0);
  });
});
