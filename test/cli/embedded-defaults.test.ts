import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('vigil up on embedded defaults', () => {
  const home = path.join(os.tmpdir(), `vigil-embedded-${process.pid}`);
  afterAll(() => fs.rm(home, { recursive: true, force: true }));

  it('starts an embedded PostgreSQL and its own redis-server, applies the example catalog and keeps data across runs', async () => {
    const env = { VIGIL_HOME: home };
    const first = await spawnCli(['up', '--once'], env, ROOT, 120_000);
    expect(first.stderr).not.toMatch(/\n\s+at /);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`database embedded PostgreSQL in ${home}/pg`);
    expect(first.stdout).toMatch(/redis redis:\/\/127\.0\.0\.1:\d+/);
    expect(first.stdout).toMatch(/Plan: 26 to add/);
    expect(first.stdout).toMatch(/moonlit-harbor-s02-watch\s+premium\s+Scheduled/);

    const second = await spawnCli(['up', '--once'], env, ROOT, 120_000);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/No changes\. The running state matches the catalog\./);
    // Both the data directory and the append-only Redis file live under VIGIL_HOME.
    expect(await fs.stat(path.join(home, 'pg', 'PG_VERSION'))).toBeTruthy();
    expect((await fs.readdir(path.join(home, 'redis'))).some((f) => f.startsWith('appendonly'))).toBe(true);

    // The exit code survives the embedded database: a refused plan exits 1 from a real process.
    const changed = path.join(home, 'catalog');
    await fs.cp(path.join(ROOT, 'catalog'), changed, { recursive: true });
    const partners = path.join(changed, 'recipients/partners.yaml');
    await fs.writeFile(partners, (await fs.readFile(partners, 'utf8')).replace('watermarkId: 1002', 'watermarkId: 2002'));
    const refused = await spawnCli(['plan', changed], env, ROOT, 120_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/watermarkId of Recipient\/bluebird-airlines is 1002 forever/);
    // Three processes that each start PostgreSQL: far past the default limit on a busy machine.
  }, 400_000);
});
