import { spawn } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '../../cli/context.js';
import { progressLine, progressReporter } from '../../cli/progress.js';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function run(command: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = command;
    const child = spawn(file!, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const vigil = [process.execPath, '--import', 'tsx', 'cli/run.ts'];

describe('logs', () => {
  let services: TestServices;
  beforeAll(async () => (services = await openTestServices()));
  afterAll(() => services.close());

  it('are JSON lines when stderr is not a terminal', async () => {
    const applied = await run([...vigil, 'apply', 'catalog'], { ...services.env, VIGIL_LOG_LEVEL: 'info' });
    expect(applied.code, applied.stderr).toBe(0);
    const events = applied.stderr.trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string; changes?: number });
    expect(events).toContainEqual(expect.objectContaining({ level: 30, msg: 'apply finished', changes: 26 }));
  });

  it('are one readable line per event at a terminal (a pseudo-TTY from script(1))', async () => {
    const command = [...vigil, 'apply', 'catalog'].map((a) => `'${a}'`).join(' ');
    const atTerminal = await run(['script', '-qec', command, '/dev/null'], { ...services.env, VIGIL_LOG_LEVEL: 'info', NO_COLOR: '1' });
    expect(atTerminal.code, atTerminal.stdout).toBe(0);
    // stdout and stderr share the terminal; the log line is time, level, message, key=value.
    expect(atTerminal.stdout).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO  apply finished commit=[0-9a-f]{40} result=no-op changes=0 .*reconciliationId=\d+\r?$/m);
    expect(atTerminal.stdout).not.toContain('"level"');

    // VIGIL_LOG_FORMAT=json keeps JSON even at a terminal.
    const forced = await run(['script', '-qec', command, '/dev/null'], { ...services.env, VIGIL_LOG_LEVEL: 'info', VIGIL_LOG_FORMAT: 'json' });
    expect(forced.stdout).toMatch(/^\{"level":30,.*"msg":"apply finished"\}\r?$/m);
  });

  it('never land inside a progress bar: the bar is cleared, the line written, the bar drawn again', async () => {
    const stderr = Object.assign(new PassThrough(), { isTTY: true });
    let written = '';
    stderr.on('data', (c: Buffer) => (written += c.toString()));
    const ctx = new Context({ stdout: new PassThrough(), stderr, env: { VIGIL_LOG_LEVEL: 'info', NO_COLOR: '1' }, cwd: ROOT, signal: new AbortController().signal });
    const progress = progressReporter(stderr, ctx.log, 'embed');
    const half = { fraction: 0.5, frames: 10 };
    progress.update(half);
    ctx.log.info({ input: 'a.mp4' }, 'segment written');
    progress.done();
    await ctx.close();
    const bar = progressLine('embed', half, 0).replace(/ ETA .*/, '');
    const parts = written.split('\r');
    expect(parts[0]).toBe('');
    expect(parts[1]).toContain(bar);
    // The log line starts after a clear-line at column 0, and the bar is drawn again under it.
    expect(parts[2]).toMatch(new RegExp(`^\\x1b\\[K\\d{2}:\\d{2}:\\d{2}\\.\\d{3} INFO  segment written input=a\\.mp4\\n${bar.replace(/[[\].]/g, '\\$&')}`));
    expect(written.endsWith('\n')).toBe(true);
  });

  it('refuse an unknown VIGIL_LOG_LEVEL or VIGIL_LOG_FORMAT, naming the allowed values', async () => {
    const level = await runCli(['status'], { ...services.env, VIGIL_LOG_LEVEL: 'loud' }, ROOT);
    expect(level.code).toBe(1);
    expect(level.stderr).toMatch(/^error VIGIL-E0103: VIGIL_LOG_LEVEL=loud is not one of fatal, error, warn, info, debug, trace, silent/);
    const format = await runCli(['status'], { ...services.env, VIGIL_LOG_FORMAT: 'xml' }, ROOT);
    expect(format.code).toBe(1);
    expect(format.stderr).toMatch(/VIGIL_LOG_FORMAT=xml is not one of json, pretty/);
    expect((await runCli(['status'], { ...services.env, VIGIL_LOG_LEVEL: 'WARN', VIGIL_LOG_FORMAT: 'Pretty' }, ROOT)).code).toBe(0);
  });
});
