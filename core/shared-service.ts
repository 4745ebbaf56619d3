import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { VigilError } from './errors.js';
import type { Logger } from './log.js';

/**
 * One embedded server (PostgreSQL, redis-server) shared by every `vigil` process of one VIGIL_HOME.
 * The first process that needs it starts it and records where it listens in RUN_DIR/NAME.json; the
 * others connect to it. Each process that uses it leaves a file in RUN_DIR/NAME.users/, and the last
 * one to let go stops it, so a long `vigil up` never loses the database because a short command that
 * happened to start it has finished. Starting and stopping happen under RUN_DIR/NAME.lock (created
 * with O_EXCL), so two processes never start two servers on one data directory, and nobody starts
 * one while the last is still shutting down.
 */

/** What RUN_DIR/NAME.json records; written atomically (a temporary file renamed over it). */
export interface ServiceState {
  /** A live vigil process that uses the server: the one that started it, or one it was handed to. */
  ownerPid: number;
  /** The server process itself (postmaster, redis-server). */
  servicePid: number;
  port: number;
  url: string;
  startedAt: string;
}

export interface StartedServer {
  servicePid: number;
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** started: this process started it; attached: another vigil runs it; adopted: every process that used it died, so this one took it over. */
export type ServiceRole = 'started' | 'attached' | 'adopted';

export interface SharedService {
  url: string;
  role: ServiceRole;
  /** Lets go of the server; the last process to let go stops it. */
  release(): Promise<void>;
}

export interface ShareOptions {
  /** Where the state and lock files live (VIGIL_HOME/run). */
  runDir: string;
  /** postgres, redis: names the files and the log lines. */
  name: string;
  start(): Promise<StartedServer>;
  /** How to stop the server by pid (an adopted one, or at an unplanned exit): SIGINT is PostgreSQL's fast shutdown. */
  stopSignal: NodeJS.Signals;
  log: Logger;
  /** How long to wait for another process that is starting or stopping the server. */
  waitMs?: number;
}

/** Whether a process runs; a zombie (dead, not yet reaped by its parent) does not. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // The state is the field after the parenthesised command name.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(pid, 0) is all we can know
  }
}

export function portOpen(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function isState(value: unknown): value is ServiceState {
  const v = value as Partial<ServiceState> | null;
  return typeof v === 'object' && v !== null && Number.isInteger(v.ownerPid) && Number.isInteger(v.servicePid)
    && Number.isInteger(v.port) && typeof v.url === 'string';
}

async function readState(file: string): Promise<ServiceState | undefined> {
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
    return isState(parsed) ? parsed : undefined;
  } catch {
    return undefined; // missing, or torn by a crash: either way there is nothing to attach to
  }
}

async function writeState(file: string, state: ServiceState): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await fs.rename(temporary, file);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` holding LOCK (a file created with O_EXCL that holds our pid); a lock whose holder died is broken. */
async function withLock<T>(lock: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await fs.open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await fs.readFile(lock, 'utf8').catch(() => '');
    const pid = Number(holder);
    // An empty file is a holder between open and write: wait for it like any other.
    if (holder !== '' && Number.isInteger(pid) && !processAlive(pid)) {
      // Re-read just before removing, so a lock that changed hands meanwhile is left alone.
      if ((await fs.readFile(lock, 'utf8').catch(() => '')) === holder) await fs.rm(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new VigilError('EMBEDDED_SERVICE_BUSY', `${lock} has been held by process ${holder || '(unknown)'} for ${Math.round(waitMs / 1000)} s`);
    }
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function stopByPid(pid: number, signal: NodeJS.Signals): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return; // already gone
  }
  for (let waited = 0; processAlive(pid); waited += 100) {
    if (waited === 60_000) process.kill(pid, 'SIGKILL');
    await sleep(100);
  }
}

/** A user's file is named PID.TOKEN: one process may open a service more than once. */
function userPid(file: string): number {
  return Number(file.split('.')[0]);
}

/** The users still alive, after removing the files of those that died without letting go. */
function liveUsers(usersDir: string): number[] {
  let files: string[];
  try {
    files = readdirSync(usersDir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const file of files) {
    if (processAlive(userPid(file))) live.push(userPid(file));
    else rmSync(path.join(usersDir, file), { force: true });
  }
  return live;
}

/** Connects to the server NAME of this VIGIL_HOME if one runs, else starts it (or adopts an orphan). */
export async function openSharedService(options: ShareOptions): Promise<SharedService> {
  const { runDir, name, log } = options;
  const stateFile = path.join(runDir, `${name}.json`);
  const lockFile = path.join(runDir, `${name}.lock`);
  const usersDir = path.join(runDir, `${name}.users`);
  const waitMs = options.waitMs ?? 120_000;
  await fs.mkdir(runDir, { recursive: true });

  /**
   * Registers this process as a user. When it lets go (or exits without doing so) and no other user
   * is alive, the server stops and the state file goes; otherwise the server keeps running, handed to
   * a live user if this process was the one the state file named.
   */
  const use = async (state: ServiceState, role: ServiceRole, stopStarted?: () => Promise<void>): Promise<SharedService> => {
    const me = path.join(usersDir, `${process.pid}.${randomBytes(6).toString('hex')}`);
    await fs.mkdir(usersDir, { recursive: true });
    await fs.writeFile(me, '');
    if (role !== 'attached') await writeState(stateFile, state);
    const stop = stopStarted ?? (() => stopByPid(state.servicePid, options.stopSignal));
    /** Synchronous, as it also runs in an 'exit' handler. True when the server should stop now. */
    const leave = (): boolean => {
      rmSync(me, { force: true });
      const others = liveUsers(usersDir);
      let recorded: ServiceState | undefined;
      try {
        const parsed: unknown = JSON.parse(readFileSync(stateFile, 'utf8'));
        recorded = isState(parsed) ? parsed : undefined;
      } catch {
        recorded = undefined;
      }
      if (others.length === 0) {
        if (recorded?.servicePid === state.servicePid) rmSync(stateFile, { force: true });
        rmSync(usersDir, { recursive: true, force: true });
        return true;
      }
      if (recorded?.ownerPid === process.pid && !others.includes(process.pid)) {
        writeFileSync(stateFile, `${JSON.stringify({ ...recorded, ownerPid: others[0] }, null, 2)}\n`);
      }
      return false;
    };
    // A crash or process.exit skips release(): stop the server anyway when nobody else uses it, so no
    // orphan keeps the data directory locked.
    const onExit = (): void => {
      if (!leave()) return;
      try {
        process.kill(state.servicePid, options.stopSignal);
      } catch {
        // already stopped
      }
    };
    process.once('exit', onExit);
    if (role === 'attached') log.info({ service: name, port: state.port, ownerPid: state.ownerPid }, `using the embedded ${name} of vigil process ${state.ownerPid}`);
    return {
      url: state.url,
      role,
      release: async () => {
        process.removeListener('exit', onExit);
        const letGo = async (): Promise<void> => {
          if (leave()) await stop();
          else log.info({ service: name, port: state.port }, `leaving the embedded ${name} running for the other vigil processes that use it`);
        };
        await withLock(lockFile, waitMs, letGo).catch(async (error: unknown) => {
          log.warn({ service: name, error: (error as Error).message }, `letting go of the embedded ${name} without its lock`);
          await letGo();
        });
      },
    };
  };

  const running = await readState(stateFile);
  if (running && processAlive(running.ownerPid) && await portOpen(running.port)) {
    // Registered under the lock, so the last user cannot stop the server between our check and our file.
    return withLock(lockFile, waitMs, async () => {
      const state = await readState(stateFile);
      if (state?.servicePid === running.servicePid && processAlive(state.ownerPid)) return use(state, 'attached');
      return openUnlocked();
    });
  }
  return withLock(lockFile, waitMs, openUnlocked);

  async function openUnlocked(): Promise<SharedService> {
    // Look again: whoever held the lock may just have started it.
    const state = await readState(stateFile);
    if (state && await portOpen(state.port)) {
      if (processAlive(state.ownerPid)) return use(state, 'attached');
      if (processAlive(state.servicePid)) {
        log.warn({ service: name, port: state.port, deadOwnerPid: state.ownerPid }, `adopting the embedded ${name} left running by vigil process ${state.ownerPid}`);
        return use({ ...state, ownerPid: process.pid }, 'adopted');
      }
    }
    if (state) {
      log.info({ service: name, stateFile, deadOwnerPid: state.ownerPid }, `the embedded ${name} recorded in ${stateFile} is gone; starting a new one`);
      await fs.rm(stateFile, { force: true });
    }
    const started = await options.start();
    const { stop, ...where } = started;
    return use({ ownerPid: process.pid, ...where, startedAt: new Date().toISOString() }, 'started', stop);
  }
}
