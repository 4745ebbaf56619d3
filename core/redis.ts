import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import { freePort } from './db/embedded.js';
import { VigilError } from './errors.js';
import { redact } from './redact.js';
import type { Logger } from './log.js';
import { openSharedService, type StartedServer } from './shared-service.js';

export interface RedisService {
  url: string;
  /** Connection options for BullMQ (which needs maxRetriesPerRequest: null for blocking commands). */
  connection: RedisOptions;
  /** A fresh client; callers own and quit it. */
  client(): Redis;
  stop(): Promise<void>;
}

function optionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    lazyConnect: false,
  };
}

async function ping(connection: RedisOptions, attempts: number): Promise<void> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const client = new Redis({ ...connection, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch (error) {
      lastError = error;
      client.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw lastError;
}

async function startRedisServer(dir: string, log: Logger): Promise<StartedServer> {
  await fs.mkdir(dir, { recursive: true });
  const port = await freePort();
  // Append-only file under VIGIL_HOME so queued work survives a restart of the embedded defaults.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--protected-mode', 'yes'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('error', (error) => resolve(error));
    child.once('spawn', () => resolve(undefined));
  });
  if (spawned) {
    throw new VigilError('REDIS_UNAVAILABLE', `REDIS_URL is not set and redis-server could not be started: ${spawned.message}`, { cause: spawned });
  }
  const url = `redis://127.0.0.1:${port}`;
  try {
    await ping(optionsFromUrl(url), 50);
  } catch (error) {
    child.kill('SIGKILL');
    throw new VigilError('REDIS_UNAVAILABLE', `the local redis-server did not answer on ${url}: ${output.trim().split('\n').slice(-3).join(' ')}`, { cause: error });
  }
  log.info({ url, dir }, 'local redis-server started');
  return {
    servicePid: child.pid!,
    port,
    url,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Connects to REDIS_URL, or to the redis-server of VIGIL_HOME: the one another vigil process runs,
 * or one of our own on a free loopback port (shared through HOME/run/redis.json).
 */
export async function openRedis(config: Config, log: Logger): Promise<RedisService> {
  let url = config.redisUrl;
  let stop = async (): Promise<void> => undefined;
  if (url === undefined) {
    const shared = await openSharedService({
      runDir: path.join(config.home, 'run'), name: 'redis', stopSignal: 'SIGTERM', log, start: () => startRedisServer(path.join(config.home, 'redis'), log),
    });
    ({ url } = shared);
    stop = shared.release;
  } else {
    try {
      await ping(optionsFromUrl(url), 3);
    } catch (error) {
      throw new VigilError('REDIS_UNAVAILABLE', redact(`cannot reach Redis at ${url}: ${(error as Error).message}`), { cause: error });
    }
  }
  const connection = optionsFromUrl(url);
  return { url, connection, client: () => new Redis(connection), stop };
}
