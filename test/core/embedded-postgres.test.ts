import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedPostgres } from '../../core/db/embedded.js';
import { silentLogger } from '../../core/log.js';

describe('the embedded PostgreSQL', () => {
  const home = path.join(os.tmpdir(), `vigil-embedded-pg-${process.pid}`);
  afterAll(() => fs.rm(home, { recursive: true, force: true }));

  it('is reached by a second open of the same home, and a postgres running without a record is named, not "undefined"', async () => {
    const first = await openEmbeddedPostgres(home, silentLogger);
    try {
      const second = await openEmbeddedPostgres(home, silentLogger);
      expect(second.url).toBe(first.url);
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      expect((await client.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      await client.end();
      await second.stop();

      // As if the server was left by a vigil from before VIGIL_HOME/run existed.
      const record = JSON.parse(await fs.readFile(path.join(home, 'run', 'postgres.json'), 'utf8')) as { servicePid: number };
      await fs.rm(path.join(home, 'run', 'postgres.json'));
      await expect(openEmbeddedPostgres(home, silentLogger)).rejects.toThrow(`postgres process ${record.servicePid} still holds the data directory`);
    } finally {
      await first.stop();
    }
  }, 180_000);
});
