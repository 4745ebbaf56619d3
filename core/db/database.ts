import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config.js';
import { isVigilError, VigilError } from '../errors.js';
import type { Logger } from '../log.js';
import { redact } from '../redact.js';
import { openEmbeddedPostgres } from './embedded.js';
import { migrate } from './migrate.js';

export interface Database {
  pool: pg.Pool;
  /** Where the data lives, for logs: the server URL without password, or the embedded data dir. */
  where: string;
  close(): Promise<void>;
}

// Dates stay 'yyyy-MM-dd' strings: a DATE has no time zone and must not become a JS Date at midnight UTC.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/** Opens the configured PostgreSQL (or the embedded one) and brings its schema up to date. */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let where: string;
  if (url === undefined) {
    const dataDir = path.join(config.home, 'pg');
    try {
      const embedded = await openEmbeddedPostgres(config.home, log);
      url = embedded.url;
      stopEmbedded = embedded.stop;
    } catch (error) {
      if (isVigilError(error)) throw error;
      throw new VigilError('DATABASE_UNAVAILABLE', `could not start the embedded PostgreSQL in ${dataDir}: ${redact(String((error as Error)?.message ?? error))}`, { cause: error });
    }
    where = `embedded PostgreSQL in ${dataDir}`;
  } else {
    where = redact(url);
  }
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 10_000 });
  let closing = false;
  // An idle client dropped by the server (restart, failover) is replaced on next use; while we shut
  // the database down ourselves, such drops are expected and not worth a warning.
  pool.on('error', (error: Error & { code?: string }) => {
    if (!closing) log.warn({ error: error.message, code: error.code }, 'idle PostgreSQL client failed');
  });
  const close = async (): Promise<void> => {
    closing = true;
    await pool.end().catch(() => undefined);
    await stopEmbedded?.();
  };
  try {
    const applied = await migrate(pool);
    if (applied.length > 0) log.info({ applied }, 'database migrations applied');
  } catch (error) {
    await close();
    const reason = redact((error as Error).message);
    throw new VigilError('DATABASE_UNAVAILABLE', `could not prepare the database at ${where}: ${reason}`, { cause: error });
  }
  return { pool, where, close };
}
