import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerEntriesBySha256, ledgerEntriesForWatermark, recordEmbeddedCopies, type EmbeddedCopy } from '../../../core/db/embed-ledger.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let services: TestServices;
beforeAll(async () => {
  services = await openTestServices();
});
afterAll(async () => {
  await services?.close();
});

const hex = (c: string, n = 64): string => c.repeat(n);
const copy = (over: Partial<EmbeddedCopy>): EmbeddedCopy => ({
  watermarkId: 1001, recipient: { id: 'northwind-vod', name: 'Northwind-VOD' }, keyId: hex('a', 16), keyFingerprint: hex('a'),
  inputPath: '/media/film.mov', inputSha256: hex('1'), outputPath: '/out/film.Northwind-VOD.1001.mov', outputSha256: hex('2'), markVersion: 2, ...over,
});

describe('embed ledger', () => {
  it('records copies with their audit rows in one transaction, allocated or not, and finds them by ID and by bytes', async () => {
    const ids = await recordEmbeddedCopies(services.db.pool, 'cli:ops', [
      copy({ embedJobId: 'screeners', catalogCommit: 'abc123' }),
      copy({ watermarkId: 77, recipient: undefined, outputPath: '/out/film.id77.77.mov', outputSha256: hex('3'), catalogCommit: 'abc123' }),
    ]);
    expect(ids).toHaveLength(2);
    const byId = await ledgerEntriesForWatermark(services.db.pool, 1001);
    expect(byId).toMatchObject([{ id: ids[0], allocated: true, recipientId: 'northwind-vod', keyId: hex('a', 16), markVersion: 2, embedJobId: 'screeners', catalogCommit: 'abc123', actor: 'cli:ops' }]);
    const lab = await ledgerEntriesBySha256(services.db.pool, [hex('3')]);
    expect(lab).toMatchObject([{ id: ids[1], allocated: false, recipientId: null, recipientName: null, watermarkId: 77 }]);
    expect((await ledgerEntriesBySha256(services.db.pool, [hex('1')])).map((e) => e.id).sort()).toEqual(ids); // by their original
    const audit = await services.db.pool.query(`select actor, object_kind, object_id, commit, details->>'ledgerId' as ledger from audit_log where action = 'embed' order by id`);
    expect(audit.rows).toEqual([
      { actor: 'cli:ops', object_kind: 'Recipient', object_id: 'northwind-vod', commit: 'abc123', ledger: String(ids[0]) },
      { actor: 'cli:ops', object_kind: null, object_id: null, commit: 'abc123', ledger: String(ids[1]) },
    ]);
  });

  it('is append-only: update, delete and truncate are refused', async () => {
    await recordEmbeddedCopies(services.db.pool, 'worker', [copy({ outputSha256: hex('4') })]);
    for (const sql of ['update embed_ledger set actor = $1', 'delete from embed_ledger', 'truncate embed_ledger']) {
      await expect(services.db.pool.query(sql, sql.includes('$1') ? ['someone'] : [])).rejects.toThrow(/embed_ledger is append-only/);
    }
    expect((await services.db.pool.query('select count(*)::int as n from embed_ledger')).rows[0].n).toBeGreaterThan(0);
  });

  it('names the mark version of each copy: 1 for a row written without one (the copies made before migration 0023), and nothing else but 1 or 2', async () => {
    await recordEmbeddedCopies(services.db.pool, 'worker', [copy({ watermarkId: 4242, markVersion: 1, outputSha256: hex('6') })]);
    await services.db.pool.query(`insert into embed_ledger (watermark_id, allocated, key_id, key_fingerprint, input_path, input_sha256, output_path, output_sha256, actor)
      values (4243, false, $1, $2, '/i', $2, '/o', $3, 'x')`, [hex('a', 16), hex('a'), hex('7')]);
    expect((await ledgerEntriesForWatermark(services.db.pool, 4242)).map((e) => e.markVersion)).toEqual([1]);
    expect((await ledgerEntriesForWatermark(services.db.pool, 4243)).map((e) => e.markVersion)).toEqual([1]);
    await expect(services.db.pool.query(`insert into embed_ledger (watermark_id, allocated, key_id, key_fingerprint, input_path, input_sha256, output_path, output_sha256, actor, mark_version)
      values (4244, false, $1, $2, '/i', $2, '/o', $2, 'x', 3)`, [hex('a', 16), hex('a')])).rejects.toThrow(/check constraint/);
  });

  it('never stores a key, and refuses a row that claims an allocation without a recipient', async () => {
    const columns = (await services.db.pool.query(`select column_name from information_schema.columns where table_name = 'embed_ledger'`)).rows.map((r) => r.column_name as string);
    expect(columns).not.toContain('key');
    await expect(services.db.pool.query(`insert into embed_ledger (watermark_id, allocated, key_id, key_fingerprint, input_path, input_sha256, output_path, output_sha256, actor)
      values (5, true, $1, $2, '/i', $2, '/o', $2, 'x')`, [hex('a', 16), hex('a')])).rejects.toThrow(/check constraint/);
  });
});
