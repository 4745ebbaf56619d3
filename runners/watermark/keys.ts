/**
 * The watermark key: 32 random bytes, kept as 64 hex digits in a file (mode 0600) or in the
 * environment. Never in the catalog: the catalog is shared and reviewed, the key is a secret.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { ENV } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';

export const KEY_BYTES = 32;

export function parseKeyHex(text: string, where: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new VigilError('CONFIG_INVALID', `${where} must hold ${KEY_BYTES * 2} hex digits (a key made by vigil keygen)`);
  }
  return Buffer.from(hex, 'hex');
}

/** VIGIL_WATERMARK_KEY_FILE wins over VIGIL_WATERMARK_KEY; neither set → KEY_MISSING. */
export async function loadWatermarkKey(env: Record<string, string | undefined>): Promise<Buffer> {
  const file = env[ENV.VIGIL_WATERMARK_KEY_FILE]?.trim();
  if (file) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new VigilError('KEY_MISSING', `${ENV.VIGIL_WATERMARK_KEY_FILE}=${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
    registerSecret(text.trim());
    return parseKeyHex(text, `the key file ${file}`);
  }
  const value = env[ENV.VIGIL_WATERMARK_KEY]?.trim();
  if (value) {
    registerSecret(value);
    return parseKeyHex(value, ENV.VIGIL_WATERMARK_KEY);
  }
  throw new VigilError('KEY_MISSING', `set ${ENV.VIGIL_WATERMARK_KEY_FILE} (or ${ENV.VIGIL_WATERMARK_KEY}) to the watermark key`);
}

export function generateKeyHex(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}

/** Writes a new key to `file` (mode 0600); refuses to touch an existing file, even an empty one. */
export async function writeNewKeyFile(file: string): Promise<string> {
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
  return hex;
}
