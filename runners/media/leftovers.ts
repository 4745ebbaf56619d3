/**
 * The files an embed run writes before its outputs are final, named for the machine and process
 * that own them, and the sweep that removes those of runs that died (kill -9, a crash, a power
 * cut) before they could clean up after themselves. A live process's files are never touched, so
 * two runs in one output folder do not disturb each other; files of another machine (a shared
 * output folder, another container's view of it) are left to that machine, whose pids ours cannot see.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../core/log.js';

/** Prefix of the private temp folder holding a run's named pipes. */
const PIPES_PREFIX = 'vigil-embed-';

/** This machine, as it appears in names: letters, digits and '-' only, at most 32. */
export const HOST = (os.hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 32) || 'host');

/** `.NAME.vigil-HOST-PID-XXXXXXXX.partial.EXT`: hidden, beside its final name (so rename is atomic). */
const PARTIAL = /^\..+\.vigil-([A-Za-z0-9-]+)-(\d+)-[0-9a-f]{8}\.partial(\.[^.]+)?$/;
/** `vigil-embed-HOST-PID-XXXXXX` (mkdtemp's suffix). */
const PIPES = new RegExp(`^${PIPES_PREFIX}([A-Za-z0-9-]+)-(\\d+)-[A-Za-z0-9]{6}$`);

/** The temp file an output is written to until it is complete. */
export function tempPathFor(output: string, pid = process.pid): string {
  const dir = path.dirname(output);
  const ext = path.extname(output);
  return path.join(dir, `.${path.basename(output, ext)}.vigil-${HOST}-${pid}-${randomBytes(4).toString('hex')}.partial${ext}`);
}

/** A private folder (mode 0700) for a run's named pipes, under the system temp folder. */
export function makePipesDir(pid = process.pid): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `${PIPES_PREFIX}${HOST}-${pid}-`));
}

/** Whether a process with this id exists (on this machine). EPERM means it exists but is not ours. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Which of `names` in a folder belong to dead runs of this machine, by the pattern that carries owner host and pid. */
export function deadRunEntries(names: readonly string[], pattern: RegExp, alive: (pid: number) => boolean = processAlive, host = HOST): string[] {
  return names.filter((n) => {
    const m = pattern.exec(n);
    return m !== null && m[1] === host && !alive(Number(m[2]));
  });
}

export const LEFTOVER_PATTERNS = { partial: PARTIAL, pipes: PIPES };

async function sweep(dir: string, pattern: RegExp, log: Logger | undefined, what: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const dead = deadRunEntries(names, pattern);
  const removed: string[] = [];
  for (const name of dead) {
    const file = path.join(dir, name);
    try {
      await fs.rm(file, { recursive: true, force: true });
      removed.push(file);
      log?.info({ file }, `removed ${what} left by an embed run that died`);
    } catch (error) {
      log?.warn({ file, err: error }, `could not remove ${what} left by an embed run that died`);
    }
  }
  return removed;
}

/**
 * Removes `.partial` outputs of dead runs in each output folder, and the pipe folders of dead
 * runs in the system temp folder. Returns what was removed.
 */
export async function removeDeadRunLeftovers(outputDirs: Iterable<string>, log?: Logger): Promise<string[]> {
  const removed = await sweep(os.tmpdir(), PIPES, log, 'temp folder');
  for (const dir of new Set(outputDirs)) removed.push(...(await sweep(dir, PARTIAL, log, 'partial output')));
  return removed;
}
