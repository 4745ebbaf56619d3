import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestServices, type TestServices } from '../support/services.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs `vigil ARGS` as a process whose stdout reader is gone before it writes, as `| head -0` would. */
function runWithClosedStdout(args: string[], env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli/run.ts'), ...args], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', VIGIL_LOG_LEVEL: 'warn', ...env },
    });
    // Closing our end of the pipe at once: every write the child makes fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('a closed stdout (vigil ... | head)', () => {
  let services: TestServices;
  beforeAll(async () => (services = await openTestServices()));
  afterAll(() => services.close());

  it.each([
    ['help'],
    ['validate', 'catalog', '--format', 'json'],
    ['findings'],
  ])('vigil %s exits quietly with 0', async (...args) => {
    const run = await runWithClosedStdout(args, services.env);
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
  });
});
