import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { main } from '../../cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

export interface StartedCli {
  /** Output so far, for commands that keep running. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliRun>;
}

/** Starts `vigil ARGS` in this process, with its own streams, environment and working directory. */
export function startCli(args: string[], env: Record<string, string>, cwd: string, signal = new AbortController().signal): StartedCli {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const done = main(args, { stdout, stderr, env: { VIGIL_LOG_LEVEL: 'silent', ...env }, cwd, signal })
    .then((code) => ({ code, stdout: out(), stderr: err() }));
  return { stdout: out, stderr: err, done };
}

/** Runs `vigil ARGS` in this process to the end. */
export function runCli(args: string[], env: Record<string, string>, cwd: string, signal?: AbortSignal): Promise<CliRun> {
  return startCli(args, env, cwd, signal).done;
}

const ROOT = path.resolve(import.meta.dirname, '../..');
/** tsx by absolute path: a child may run in a folder with no node_modules of its own. */
const TSX = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');

export interface SpawnedCli {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliRun>;
}

/** Starts `vigil ARGS` as a separate process, for tests that must signal or kill it. */
export function startCliProcess(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 60_000): SpawnedCli {
  const child = spawn(process.execPath, ['--import', pathToFileURL(TSX).href, path.join(ROOT, 'cli/run.ts'), ...args], {
    cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', VIGIL_LOG_LEVEL: 'warn', NODE_OPTIONS: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs `vigil ARGS` as a separate process, as a person at a terminal would. */
export function spawnCli(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 60_000): Promise<CliRun> {
  return startCliProcess(args, env, cwd, timeoutMs).done;
}
