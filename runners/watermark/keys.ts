/**
 * Watermark keys: 32 random bytes, kept as 64 hex digits in a file (mode 0600) or in the
 * environment. Never in the catalog: the catalog is shared and reviewed, the key is a secret.
 *
 * Each key has an id, a short fingerprint that names it in the embed ledger and in detection
 * reports without revealing it. The active key (VIGIL_WATERMARK_KEY_FILE or VIGIL_WATERMARK_KEY)
 * marks new copies; older keys stay in the keyring folder (VIGIL_WATERMARK_KEYRING_DIR, one
 * `*.key` file each) so copies made before a rotation can still be traced.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ENV } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';

export const KEY_BYTES = 32;

export interface WatermarkKey {
  /** 16 hex digits: the start of the fingerprint. */
  id: string;
  /** SHA-256 (hex) over a domain-separated string: the key's full fingerprint; never the key. */
  fingerprint: string;
  key: Buffer;
  /** Where it was read from, for messages: a file path or an environment variable's name. */
  source: string;
}

export interface Keyring {
  /** Marks new copies; undefined when only a keyring folder is configured (detection only). */
  active: WatermarkKey | undefined;
  /** Every distinct key, the active one first, then the keyring folder's in file-name order. */
  keys: WatermarkKey[];
}

/** The domain string keeps the fingerprint from ever equalling a hash computed elsewhere over the raw key. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update('vigil watermark key fingerprint v1\0').update(key).digest('hex');
}

export function watermarkKey(key: Buffer, source: string): WatermarkKey {
  // Known to the redactor from here on, so the key never reaches a log line or an error.
  registerSecret(key.toString('hex'));
  const fingerprint = keyFingerprint(key);
  return { id: fingerprint.slice(0, 16), fingerprint, key, source };
}

export function parseKeyHex(text: string, where: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new VigilError('CONFIG_INVALID', `${where} must hold ${KEY_BYTES * 2} hex digits (a key made by vigil keygen)`);
  }
  return Buffer.from(hex, 'hex');
}

async function readKeyFile(file: string, setting: string): Promise<WatermarkKey> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new VigilError('KEY_MISSING', `${setting} names ${file}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  registerSecret(text.trim());
  return watermarkKey(parseKeyHex(text, `the key file ${file}`), file);
}

/** The active key alone: VIGIL_WATERMARK_KEY_FILE wins over VIGIL_WATERMARK_KEY; neither set → undefined. */
async function loadActiveKey(env: Record<string, string | undefined>): Promise<WatermarkKey | undefined> {
  const file = env[ENV.VIGIL_WATERMARK_KEY_FILE]?.trim();
  if (file) return readKeyFile(file, `${ENV.VIGIL_WATERMARK_KEY_FILE}=${file}`);
  const value = env[ENV.VIGIL_WATERMARK_KEY]?.trim();
  if (value) return watermarkKey(parseKeyHex(value, ENV.VIGIL_WATERMARK_KEY), ENV.VIGIL_WATERMARK_KEY);
  return undefined;
}

/** Every `*.key` file of the keyring folder, in name order; other files are ignored. */
async function loadKeyringDir(dir: string): Promise<WatermarkKey[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_WATERMARK_KEYRING_DIR}=${dir} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const files = names.filter((n) => n.endsWith('.key')).sort();
  return Promise.all(files.map((n) => readKeyFile(path.join(dir, n), `${ENV.VIGIL_WATERMARK_KEYRING_DIR}=${dir}`)));
}

export async function loadKeyring(env: Record<string, string | undefined>): Promise<Keyring> {
  const active = await loadActiveKey(env);
  const dir = env[ENV.VIGIL_WATERMARK_KEYRING_DIR]?.trim();
  const older = dir ? await loadKeyringDir(dir) : [];
  const keys: WatermarkKey[] = [];
  for (const k of [...(active ? [active] : []), ...older]) if (!keys.some((o) => o.id === k.id)) keys.push(k);
  if (keys.length === 0) {
    throw new VigilError('KEY_MISSING', `set ${ENV.VIGIL_WATERMARK_KEY_FILE} (or ${ENV.VIGIL_WATERMARK_KEY}) to the watermark key${dir ? `; ${ENV.VIGIL_WATERMARK_KEYRING_DIR}=${dir} holds no *.key file` : ''}`);
  }
  return { active, keys };
}

/** The key new copies are made with; a keyring folder alone is not enough (it holds old keys). */
export async function loadEmbeddingKey(env: Record<string, string | undefined>): Promise<WatermarkKey> {
  const active = await loadActiveKey(env);
  if (!active) throw new VigilError('KEY_MISSING', `set ${ENV.VIGIL_WATERMARK_KEY_FILE} (or ${ENV.VIGIL_WATERMARK_KEY}) to the watermark key new copies are made with`);
  return active;
}

export function generateKeyHex(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}

/** Writes a new key to `file` (mode 0600); refuses to touch an existing file, even an empty one. */
export async function writeNewKeyFile(file: string): Promise<WatermarkKey> {
  const hex = generateKeyHex();
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new VigilError('KEY_FILE_EXISTS', `${file} already exists; it was left as it is`);
    throw new VigilError('OUTPUT_NOT_WRITABLE', `cannot create ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    // The umask may have narrowed the mode further but never widened it; make it exactly 0600.
    await handle.chmod(0o600);
    await handle.writeFile(`${hex}\n`);
  } finally {
    await handle.close();
  }
  return watermarkKey(Buffer.from(hex, 'hex'), file);
}
