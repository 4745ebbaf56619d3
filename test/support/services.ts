import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../core/config.js';
import { openDatabase, type Database } from '../../core/db/database.js';
import { silentLogger } from '../../core/log.js';
import { openRedis, type RedisService } from '../../core/redis.js';

/**
 * Real services for tests: the machine's PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL).
 * Each test gets a database of its own, created fresh and dropped afterwards, and a queue prefix of
 * its own, so test files run in parallel without seeing each other.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestServices {
  config: Config;
  /** Environment for a `vigil` run against the same database and Redis. */
  env: Record<string, string>;
  db: Database;
  redis: RedisService;
  close(): Promise<void>;
}

/** A fresh, migrated database and an isolated Redis prefix. */
export async function openTestServices(home = '/tmp/vigil-test-home'): Promise<TestServices> {
  const name = uniqueName('vigil_test');
  await adminQuery(`create database ${name}`);
  const databaseUrl = new URL(TEST_DATABASE_URL);
  databaseUrl.pathname = `/${name}`;
  const prefix = uniqueName('t');
  const env = {
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: TEST_REDIS_URL,
    VIGIL_QUEUE_PREFIX: prefix,
    VIGIL_HOME: home,
    VIGIL_LOG_LEVEL: 'silent',
  };
  const config = loadConfig(env);
  const db = await openDatabase(config, silentLogger);
  const redis = await openRedis(config, silentLogger);
  return {
    config, env, db, redis,
    async close() {
      await db.close();
      const client = redis.client();
      // Remove this test's keys only; the Redis is shared with other test files.
      const keys = await client.keys(`${config.queuePrefix}:*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
      await redis.stop();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}
