import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../core/db/embedded.js';
import { runCli, spawnCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

/**
 * Database and Redis passwords never reach a person's terminal or the logs, while the error still
 * names the host and port at fault. The Redis case runs `vigil` as its own process with debug logs
 * on, so its stdout and stderr hold everything the process wrote; the others run in-process.
 */

// spawnCli loads tsx from the working directory, so the runs start in the repository.
const ROOT = path.resolve(import.meta.dirname, '../..');
const DB_PASSWORD = 'pg-Secr3t-91f0c4';
const REDIS_PASSWORD = 'redis-Secr3t-77ab12';

let services: TestServices;
beforeAll(async () => { services = await openTestServices(); });
afterAll(() => services.close());

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

describe('service passwords', () => {
  it('vigil status against a closed PostgreSQL port names the host:port, never the password', async () => {
    const port = await freePort();
    const run = await runCli(['status'], { DATABASE_URL: `postgres://vigil:${DB_PASSWORD}@127.0.0.1:${port}/vigil` }, ROOT);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('VIGIL-E0201');
    expect(run.stderr).toContain(`127.0.0.1:${port}`);
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
  });

  // A child process starts slowly on a busy machine: give it room (this bounds a hang, it times nothing).
  it('a closed Redis port names the host:port, never the password', { timeout: 200_000 }, async () => {
    const port = await freePort();
    const run = await spawnCli(['reconcile', '--repo', '/nonexistent', '--once'], {
      ...services.env, DATABASE_URL: withPassword(services.env.DATABASE_URL!, DB_PASSWORD),
      REDIS_URL: `redis://default:${REDIS_PASSWORD}@127.0.0.1:${port}`, VIGIL_LOG_LEVEL: 'debug',
    }, ROOT, 180_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`VIGIL-E0202: cannot reach Redis at redis://default:***@127.0.0.1:${port}`);
    expect(run.stdout + run.stderr).not.toContain(REDIS_PASSWORD);
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
  });

  it('an unparseable DATABASE_URL is named without its password', async () => {
    const run = await runCli(['status'], { DATABASE_URL: `postgres://vigil:${DB_PASSWORD} x@db host:5432/vigil` }, ROOT);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('VIGIL-E0103: DATABASE_URL is not a URL: "postgres://***@db host:5432/vigil"');
    expect(run.stderr).not.toContain(DB_PASSWORD);
  });

  it('the CLI masks credentials in any error it prints', async () => {
    const run = await runCli(['scan', '--content', 'x', '--seed', `ftp://vigil:${DB_PASSWORD}@files.example/?token=tok-55aa66bb`], {}, ROOT);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('VIGIL-E0104: vigil scan: --seed "ftp://vigil:***@files.example/?token=***" is not an http(s) URL');
  });

  it('vigil status on a reachable database shows where it is without the password', async () => {
    const run = await runCli(['status', '--format', 'json'], { ...services.env, DATABASE_URL: withPassword(services.env.DATABASE_URL!, DB_PASSWORD) }, ROOT);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { database: string }).database).toMatch(/^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\//);
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
  });
});
