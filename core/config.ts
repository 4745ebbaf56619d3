import path from 'node:path';
import { VigilError } from './errors.js';

/**
 * Every environment variable Vigil reads, in one place. Parsed once at the edge; the rest of the
 * code takes a Config and never reads process.env.
 */
export interface Config {
  /** PostgreSQL server; undefined means the embedded PostgreSQL under `home`. */
  databaseUrl: string | undefined;
  /** Redis server; undefined means a redis-server that Vigil starts itself under `home`. */
  redisUrl: string | undefined;
  /** Where embedded services, git mirrors and caches live. */
  home: string;
  /** Key prefix for BullMQ; wrapped in {} so every queue key hashes to one Redis Cluster slot. */
  queuePrefix: string;
  logLevel: string;
  github: {
    appId: string | undefined;
    privateKey: string | undefined;
    webhookSecret: string | undefined;
    apiUrl: string;
    catalogPath: string;
  };
  port: number;
  /** Where reference media paths in the catalog resolve (they rarely live in git). */
  mediaRoot: string;
  crawler: {
    /** Let the crawler reach private, loopback and link-local addresses: labs and tests only. */
    allowPrivate: boolean;
    /** curl-style HOST:PORT:ADDR overrides of name resolution. */
    resolve: string[];
  };
}

export const ENV = {
  DATABASE_URL: 'DATABASE_URL',
  REDIS_URL: 'REDIS_URL',
  VIGIL_HOME: 'VIGIL_HOME',
  VIGIL_QUEUE_PREFIX: 'VIGIL_QUEUE_PREFIX',
  VIGIL_LOG_LEVEL: 'VIGIL_LOG_LEVEL',
  GITHUB_APP_ID: 'GITHUB_APP_ID',
  GITHUB_PRIVATE_KEY: 'GITHUB_PRIVATE_KEY',
  GITHUB_WEBHOOK_SECRET: 'GITHUB_WEBHOOK_SECRET',
  GITHUB_API_URL: 'GITHUB_API_URL',
  VIGIL_CATALOG_PATH: 'VIGIL_CATALOG_PATH',
  PORT: 'PORT',
  VIGIL_WATERMARK_KEY: 'VIGIL_WATERMARK_KEY',
  VIGIL_WATERMARK_KEY_FILE: 'VIGIL_WATERMARK_KEY_FILE',
  VIGIL_WATERMARK_KEYRING_DIR: 'VIGIL_WATERMARK_KEYRING_DIR',
  VIGIL_MEDIA_ROOT: 'VIGIL_MEDIA_ROOT',
  VIGIL_CRAWL_ALLOW_PRIVATE: 'VIGIL_CRAWL_ALLOW_PRIVATE',
  VIGIL_CRAWL_RESOLVE: 'VIGIL_CRAWL_RESOLVE',
} as const;

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new VigilError('CONFIG_INVALID', `${ENV.PORT}=${value} is not a port number (0-65535)`);
  }
  return port;
}

function checkUrl(name: string, value: string | undefined, schemes: string[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new VigilError('CONFIG_INVALID', `${name} is not a URL: ${JSON.stringify(value)}`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new VigilError('CONFIG_INVALID', `${name} must start with ${schemes.join(' or ')}//, not ${url.protocol}//`);
  }
  return value;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const prefix = nonEmpty(env[ENV.VIGIL_QUEUE_PREFIX]) ?? 'vigil';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) {
    throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_QUEUE_PREFIX}=${prefix} may hold only letters, digits, '-' and '_'`);
  }
  return {
    databaseUrl: checkUrl(ENV.DATABASE_URL, nonEmpty(env[ENV.DATABASE_URL]), ['postgres:', 'postgresql:']),
    redisUrl: checkUrl(ENV.REDIS_URL, nonEmpty(env[ENV.REDIS_URL]), ['redis:', 'rediss:']),
    home: path.resolve(cwd, nonEmpty(env[ENV.VIGIL_HOME]) ?? '.vigil'),
    queuePrefix: `{${prefix}}`,
    logLevel: nonEmpty(env[ENV.VIGIL_LOG_LEVEL]) ?? 'info',
    github: {
      appId: nonEmpty(env[ENV.GITHUB_APP_ID]),
      privateKey: nonEmpty(env[ENV.GITHUB_PRIVATE_KEY])?.replace(/\\n/g, '\n'),
      webhookSecret: nonEmpty(env[ENV.GITHUB_WEBHOOK_SECRET]),
      apiUrl: nonEmpty(env[ENV.GITHUB_API_URL]) ?? 'https://api.github.com',
      catalogPath: nonEmpty(env[ENV.VIGIL_CATALOG_PATH]) ?? 'catalog',
    },
    port: parsePort(nonEmpty(env[ENV.PORT])),
    mediaRoot: path.resolve(cwd, nonEmpty(env[ENV.VIGIL_MEDIA_ROOT]) ?? '.'),
    crawler: {
      allowPrivate: ['1', 'true', 'yes'].includes((nonEmpty(env[ENV.VIGIL_CRAWL_ALLOW_PRIVATE]) ?? '').toLowerCase()),
      resolve: (nonEmpty(env[ENV.VIGIL_CRAWL_RESOLVE]) ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    },
  };
}
