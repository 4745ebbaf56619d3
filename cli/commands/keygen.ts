import path from 'node:path';
import { ENV } from '../../core/config.js';
import { generateKeyHex, writeNewKeyFile } from '../../runners/watermark/keys.js';
import { parse } from '../args.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil keygen [--out FILE]
  Make a new 32-byte watermark key (64 hex digits). With --out, write it to FILE with mode 0600
  (an existing file is never overwritten); without, print it. Point ${ENV.VIGIL_WATERMARK_KEY_FILE}
  at the file (or put the hex in ${ENV.VIGIL_WATERMARK_KEY}); keep it secret and backed up: detection
  needs the key each copy was made with.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { out: { type: 'string' } } as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse('keygen', argv, options, 0);
  if (!values.out) {
    print(io.stdout, generateKeyHex());
    return 0;
  }
  const file = path.resolve(io.cwd, values.out);
  await writeNewKeyFile(file);
  print(io.stderr, `wrote a new watermark key to ${file} (mode 0600); use it with ${ENV.VIGIL_WATERMARK_KEY_FILE}=${file}`);
  return 0;
}
