import path from 'node:path';
import { ENV } from '../../core/config.js';
import { generateKeyHex, watermarkKey, writeNewKeyFile } from '../../runners/watermark/keys.js';
import { parse } from '../args.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil keygen [--out FILE]
  Make a new 32-byte watermark key (64 hex digits) and print its key id (a fingerprint that names it
  in the embed ledger and in detection reports, never revealing it). With --out, write the key to
  FILE with mode 0600 (an existing file is never overwritten) and print the id; without, print the
  key, then the id on stderr. Point ${ENV.VIGIL_WATERMARK_KEY_FILE} at the file (or put the hex in
  ${ENV.VIGIL_WATERMARK_KEY}); keep it secret and backed up: detection needs the key each copy was made with.
  To rotate: keep the old key file in ${ENV.VIGIL_WATERMARK_KEYRING_DIR} (one *.key file per key) and
  point ${ENV.VIGIL_WATERMARK_KEY_FILE} at the new one; detection tries every key of the keyring.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { out: { type: 'string' } } as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse('keygen', argv, options, 0);
  if (!values.out) {
    const hex = generateKeyHex();
    print(io.stdout, hex);
    print(io.stderr, `key id ${watermarkKey(Buffer.from(hex, 'hex'), 'stdout').id}`);
    return 0;
  }
  const file = path.resolve(io.cwd, values.out);
  const key = await writeNewKeyFile(file);
  print(io.stdout, key.id);
  print(io.stderr, `wrote a new watermark key (key id ${key.id}) to ${file} (mode 0600); use it with ${ENV.VIGIL_WATERMARK_KEY_FILE}=${file}`);
  return 0;
}
