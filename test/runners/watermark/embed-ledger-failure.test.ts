import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmbedCommand } from '../../../runners/watermark/embed.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { makeLongClip } from '../media/clips.js';

const KEY_HEX = '2c4e6a8092a4c6e8f0123456789abcdef0fedcba9876543210a1b2c3d4e5f607';
let services: TestServices;
let dir: string;
let clip: string;

beforeAll(async () => {
  services = await openTestServices();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-ledger-failure-'));
  clip = await makeLongClip(dir);
  await fs.mkdir(path.join(dir, 'out'));
}, 180_000);

afterAll(async () => {
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('a copy and its ledger row', () => {
  it('leaves no output, finished or partial, when the ledger refuses the row', async () => {
    // A real PostgreSQL refusal at the moment the copy is recorded, after the encode has finished.
    await services.db.pool.query(`create function refuse_ledger() returns trigger language plpgsql as $$ begin raise exception 'ledger disk full'; end $$;
      create trigger refuse_ledger before insert on embed_ledger for each row execute function refuse_ledger()`);
    try {
      const run = runEmbedCommand({ input: clip, ids: [77], outDir: 'out', unallocatedLab: true }, { env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: dir, pool: async () => services.db.pool, actor: 'test' });
      await expect(run).rejects.toMatchObject({ code: 'VIGIL-E0201', message: expect.stringMatching(/ledger disk full/) });
      expect(await fs.readdir(path.join(dir, 'out'))).toEqual([]);
    } finally {
      await services.db.pool.query('drop trigger refuse_ledger on embed_ledger; drop function refuse_ledger()');
    }
    // With the ledger back, the same embed makes its copy and its row.
    const made = await runEmbedCommand({ input: clip, ids: [77], outDir: 'out', unallocatedLab: true }, { env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: dir, pool: async () => services.db.pool, actor: 'test' });
    expect(await fs.readdir(path.join(dir, 'out'))).toEqual([path.basename(made.outputs[0]!.output)]);
    const rows = await services.db.pool.query('select output_path from embed_ledger');
    expect(rows.rows.map((r) => r.output_path)).toEqual([made.outputs[0]!.output]);
  });
});
