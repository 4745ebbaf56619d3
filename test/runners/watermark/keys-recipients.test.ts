import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { loadCatalogDir } from '../../../core/catalog/load.js';
import type { Catalog } from '../../../core/catalog/catalog.js';
import { expandPattern } from '../../../core/catalog/paths.js';
import { orderKeys } from '../../../runners/watermark/detect.js';
import { DEFAULT_OUTPUT_PATTERN, outputPaths, parallelEncoders } from '../../../runners/watermark/embed.js';
import { keyFingerprint, loadEmbeddingKey, loadKeyring, watermarkKey, writeNewKeyFile } from '../../../runners/watermark/keys.js';
import { lookupInCatalog, lookupInDatabase, parseWatermarkId, resolveRecipients } from '../../../runners/watermark/recipients.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let dir: string;
let catalog: Catalog;
let services: TestServices;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-keys-'));
  catalog = (await loadCatalogDir(path.resolve(import.meta.dirname, '../../../catalog'))).catalog;
  services = await openTestServices();
  // As the reconciler records them on apply: three active recipients and a retired one.
  await services.db.pool.query(`insert into watermark_allocations (watermark_id, recipient_id, recipient_name, retired_at) values
    (1001, 'northwind-vod', 'Northwind-VOD', null), (1002, 'bluebird-airlines', 'bluebird_airlines.IFE', null),
    (1003, 'press-screener', 'press.screeners', null), (1000, 'old-distributor', 'OldDistributor', now())`);
});
afterAll(async () => {
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return isVigilError(e) ? e.errorName : String(e);
  }
  return undefined;
}

describe('watermark keys', () => {
  it('writes a fresh 32-byte key with mode 0600 and never overwrites a file', async () => {
    const file = path.join(dir, 'a.key');
    const key = await writeNewKeyFile(file);
    expect(key.key.length).toBe(32);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await codeOf(writeNewKeyFile(file))).toBe('KEY_FILE_EXISTS');
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(key.key.toString('hex'));
    const other = path.join(dir, 'b.key');
    expect((await writeNewKeyFile(other)).id).not.toBe(key.id);
  });

  it('names a key by a 16-hex id from a domain-separated fingerprint that is neither the key nor its plain hash', async () => {
    const key = Buffer.from('ab'.repeat(32), 'hex');
    const k = watermarkKey(key, 'test');
    expect(k.id).toMatch(/^[0-9a-f]{16}$/);
    expect(k.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(k.fingerprint.startsWith(k.id)).toBe(true);
    expect(watermarkKey(Buffer.from(key), 'elsewhere').id).toBe(k.id); // stable
    expect(k.fingerprint).not.toContain(key.toString('hex'));
    const { createHash } = await import('node:crypto');
    expect(k.fingerprint).not.toBe(createHash('sha256').update(key).digest('hex'));
    expect(keyFingerprint(Buffer.from('cd'.repeat(32), 'hex'))).not.toBe(k.fingerprint);
  });

  it('reads the active key file first, then the hex variable; neither is KEY_MISSING; a bad key is CONFIG_INVALID', async () => {
    const file = path.join(dir, 'c.key');
    const written = await writeNewKeyFile(file);
    const other = 'ab'.repeat(32);
    expect((await loadEmbeddingKey({ VIGIL_WATERMARK_KEY_FILE: file, VIGIL_WATERMARK_KEY: other })).id).toBe(written.id);
    expect((await loadEmbeddingKey({ VIGIL_WATERMARK_KEY: other })).key.toString('hex')).toBe(other);
    expect(await codeOf(loadEmbeddingKey({}))).toBe('KEY_MISSING');
    expect(await codeOf(loadKeyring({}))).toBe('KEY_MISSING');
    expect(await codeOf(loadEmbeddingKey({ VIGIL_WATERMARK_KEY_FILE: path.join(dir, 'none.key') }))).toBe('KEY_MISSING');
    expect(await codeOf(loadEmbeddingKey({ VIGIL_WATERMARK_KEY: 'abc' }))).toBe('CONFIG_INVALID');
  });

  it('keeps older keys in the keyring folder: the active key first, each key once; embedding needs the active key', async () => {
    const ring = path.join(dir, 'ring');
    await fs.mkdir(ring);
    const old1 = await writeNewKeyFile(path.join(ring, '2025-01.key'));
    const old2 = await writeNewKeyFile(path.join(ring, '2025-06.key'));
    await fs.writeFile(path.join(ring, 'README'), 'not a key');
    const active = watermarkKey(Buffer.from('ef'.repeat(32), 'hex'), 'env');
    await fs.writeFile(path.join(ring, 'current.key'), 'ef'.repeat(32)); // the active key kept here too: listed once
    const keyring = await loadKeyring({ VIGIL_WATERMARK_KEY: 'ef'.repeat(32), VIGIL_WATERMARK_KEYRING_DIR: ring });
    expect(keyring.active?.id).toBe(active.id);
    expect(keyring.keys.map((k) => k.id)).toEqual([active.id, old1.id, old2.id]);
    const detectOnly = await loadKeyring({ VIGIL_WATERMARK_KEYRING_DIR: ring });
    expect(detectOnly.active).toBeUndefined();
    expect(detectOnly.keys).toHaveLength(3);
    expect(await codeOf(loadEmbeddingKey({ VIGIL_WATERMARK_KEYRING_DIR: ring }))).toBe('KEY_MISSING');
    expect(await codeOf(loadKeyring({ VIGIL_WATERMARK_KEYRING_DIR: path.join(dir, 'no-ring') }))).toBe('CONFIG_INVALID');
    await fs.writeFile(path.join(ring, 'broken.key'), 'xyz');
    expect(await codeOf(loadKeyring({ VIGIL_WATERMARK_KEYRING_DIR: ring }))).toBe('CONFIG_INVALID');
  });

  it('tries the keys the ledger names for a file first, then the rest of the keyring, and reports named keys it lacks', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((id) => ({ id, key: Buffer.alloc(32) }));
    expect(orderKeys([a!, b!, c!], ['c', 'c', 'zz']).keys.map((k) => k.id)).toEqual(['c', 'a', 'b']);
    expect(orderKeys([a!, b!, c!], ['c', 'zz']).missing).toEqual(['zz']);
    expect(orderKeys([a!, b!], []).keys.map((k) => k.id)).toEqual(['a', 'b']);
  });
});

describe('recipients from the database allocations', () => {
  const lab = { unallocatedLab: false, database: 'the test database' };
  const named = (...names: string[]): { name: string; where: string }[] => names.map((name) => ({ name, where: '--recipient' }));

  it('resolves names case-insensitively by name or catalog id through watermark_allocations', async () => {
    expect(await resolveRecipients(services.db.pool, named('NORTHWIND-vod', 'press-screener'), [], lab)).toEqual([
      { name: 'Northwind-VOD', watermarkId: 1001, allocated: true, recipientId: 'northwind-vod' },
      { name: 'press.screeners', watermarkId: 1003, allocated: true, recipientId: 'press-screener' },
    ]);
  });

  it('refuses a retired or unallocated name (RECIPIENT_UNKNOWN), saying where it was given', async () => {
    expect(await codeOf(resolveRecipients(services.db.pool, named('OldDistributor'), [], lab))).toBe('RECIPIENT_UNKNOWN');
    const err = await resolveRecipients(services.db.pool, [{ name: 'nobody', where: 'EmbedJob/screeners recipients[1]' }], [], lab).then(() => new Error('resolved'), (e: unknown) => e as Error);
    expect(isVigilError(err, 'RECIPIENT_UNKNOWN')).toBe(true);
    expect(err.message).toBe('EmbedJob/screeners recipients[1] "nobody": no recipient of that name or id has a watermark ID allocated in the test database');
    expect(await codeOf(resolveRecipients(services.db.pool, [], [1000], lab))).toBe('RECIPIENT_UNKNOWN');
  });

  it('refuses a raw ID with no allocation unless the lab flag allows it, then marks it unallocated', async () => {
    const err = await resolveRecipients(services.db.pool, [], [5555], lab).then(() => new Error('resolved'), (e: unknown) => e as Error);
    expect(isVigilError(err, 'RECIPIENT_UNALLOCATED')).toBe(true);
    expect(err.message).toBe('--id 5555: watermark ID 5555 is not allocated to any recipient in the test database');
    expect(await resolveRecipients(services.db.pool, named('bluebird-airlines'), [1002, 5555, 1003], { ...lab, unallocatedLab: true })).toEqual([
      { name: 'bluebird_airlines.IFE', watermarkId: 1002, allocated: true, recipientId: 'bluebird-airlines' },
      { name: 'id5555', watermarkId: 5555, allocated: false },
      { name: 'press.screeners', watermarkId: 1003, allocated: true, recipientId: 'press-screener' },
    ]);
  });

  it('looks an ID up in the database (retired included) and, offline, in a catalog', async () => {
    expect(await lookupInDatabase(services.db.pool, 1000)).toMatchObject({ name: 'OldDistributor', retired: true, source: 'database' });
    expect(await lookupInDatabase(services.db.pool, 424242)).toBeUndefined();
    expect(lookupInCatalog(catalog, 1000)).toMatchObject({ name: 'OldDistributor', retired: true, source: 'catalog' });
    expect(lookupInCatalog(catalog, 424242)).toBeUndefined();
    expect(parseWatermarkId('4294967295')).toBe(4294967295);
    for (const bad of ['0', '-1', '4294967296', '1.5', 'x']) expect(() => parseWatermarkId(bad)).toThrow(/watermark ID/);
  });
});

describe('output names', () => {
  it('expands the output pattern and refuses collisions and extension changes', async () => {
    const recipients = [{ name: 'A', watermarkId: 1 }, { name: 'B', watermarkId: 2 }];
    expect(expandPattern(DEFAULT_OUTPUT_PATTERN, { basename: 'film', recipient: 'A', watermarkId: 1, ext: 'mov' })).toBe('film.A.1.mov');
    expect(outputPaths('/in/film.mov', recipients, '/out')).toEqual(['/out/film.A.1.mov', '/out/film.B.2.mov']);
    expect(outputPaths('/in/film.mov', recipients, '/out', 'x/{watermarkId}-{basename}.{ext}')).toEqual(['/out/x/1-film.mov', '/out/x/2-film.mov']);
    expect(await codeOf(() => outputPaths('/in/film.mov', recipients, '/out', 'same.{ext}'))).toBe('USAGE');
    expect(await codeOf(() => outputPaths('/in/film.mov', recipients, '/out', '{recipient}.mp4'))).toBe('EXTENSION_MISMATCH');
  });

  it('fans out to as many encoders as half the free memory holds, at least one', () => {
    const v = { width: 3840, height: 2160, bitDepth: 10 as const, chroma: '420' as const, codec: 'hevc' };
    expect(parallelEncoders(v, 64 * 2 ** 30)).toBeGreaterThan(1);
    expect(parallelEncoders(v, 512 * 2 ** 20)).toBe(1);
    expect(parallelEncoders({ ...v, width: 320, height: 180, bitDepth: 8 }, 64 * 2 ** 30)).toBe(8);
  });
});
