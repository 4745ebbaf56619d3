import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { loadCatalogDir } from '../../../core/catalog/load.js';
import type { Catalog } from '../../../core/catalog/catalog.js';
import { expandPattern } from '../../../core/catalog/paths.js';
import { DEFAULT_OUTPUT_PATTERN, outputPaths, parallelEncoders } from '../../../runners/watermark/embed.js';
import { loadWatermarkKey, writeNewKeyFile } from '../../../runners/watermark/keys.js';
import { lookupInCatalog, parseWatermarkId, resolveRecipients } from '../../../runners/watermark/recipients.js';

let dir: string;
let catalog: Catalog;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-keys-'));
  catalog = (await loadCatalogDir(path.resolve(import.meta.dirname, '../../../catalog'))).catalog;
});
afterAll(async () => {
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
    const hex = await writeNewKeyFile(file);
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await codeOf(writeNewKeyFile(file))).toBe('KEY_FILE_EXISTS');
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(hex);
    const other = path.join(dir, 'b.key');
    expect(await writeNewKeyFile(other)).not.toBe(hex);
  });

  it('reads the key file first, then the hex variable; neither is KEY_MISSING; a bad key is CONFIG_INVALID', async () => {
    const file = path.join(dir, 'c.key');
    const hex = await writeNewKeyFile(file);
    const other = 'ab'.repeat(32);
    expect((await loadWatermarkKey({ VIGIL_WATERMARK_KEY_FILE: file, VIGIL_WATERMARK_KEY: other })).toString('hex')).toBe(hex);
    expect((await loadWatermarkKey({ VIGIL_WATERMARK_KEY: other })).toString('hex')).toBe(other);
    expect(await codeOf(loadWatermarkKey({}))).toBe('KEY_MISSING');
    expect(await codeOf(loadWatermarkKey({ VIGIL_WATERMARK_KEY_FILE: path.join(dir, 'none.key') }))).toBe('KEY_MISSING');
    expect(await codeOf(loadWatermarkKey({ VIGIL_WATERMARK_KEY: 'abc' }))).toBe('CONFIG_INVALID');
  });
});

describe('recipients and output names', () => {
  it('resolves names case-insensitively by name or catalog id; retired and unknown names are RECIPIENT_UNKNOWN', async () => {
    expect(resolveRecipients(catalog, ['NORTHWIND-vod', 'press-screener'], [])).toEqual([
      { name: 'Northwind-VOD', watermarkId: 1001, recipientId: 'northwind-vod' },
      { name: 'press.screeners', watermarkId: 1003, recipientId: 'press-screener' },
    ]);
    expect(await codeOf(() => resolveRecipients(catalog, ['OldDistributor'], []))).toBe('RECIPIENT_UNKNOWN');
    expect(await codeOf(() => resolveRecipients(catalog, ['nobody'], []))).toBe('RECIPIENT_UNKNOWN');
    expect(await codeOf(() => resolveRecipients(undefined, ['northwind-vod'], []))).toBe('RECIPIENT_UNKNOWN');
    expect(await codeOf(() => resolveRecipients(catalog, [], [1000]))).toBe('RECIPIENT_UNKNOWN');
  });

  it('takes raw IDs, naming them after their catalog recipient when there is one, once each', () => {
    expect(resolveRecipients(catalog, ['bluebird-airlines'], [1002, 5555])).toEqual([
      { name: 'bluebird_airlines.IFE', watermarkId: 1002, recipientId: 'bluebird-airlines' },
      { name: 'id5555', watermarkId: 5555 },
    ]);
    expect(resolveRecipients(undefined, [], [7])).toEqual([{ name: 'id7', watermarkId: 7 }]);
    expect(lookupInCatalog(catalog, 1000)).toMatchObject({ name: 'OldDistributor', retired: true, source: 'catalog' });
    expect(lookupInCatalog(catalog, 424242)).toBeUndefined();
    expect(parseWatermarkId('4294967295')).toBe(4294967295);
    for (const bad of ['0', '-1', '4294967296', '1.5', 'x']) expect(() => parseWatermarkId(bad)).toThrow(/watermark ID/);
  });

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
