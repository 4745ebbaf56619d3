import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { embedForRecipients, outputPaths } from '../../../runners/watermark/embed.js';

/** Validate refuses escaping patterns; the runner refuses them again, since recipient names fill the pattern. */
let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-escape-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function failure(run: () => unknown): Promise<{ errorName?: string; message: string }> {
  try {
    await run();
  } catch (error) {
    if (isVigilError(error)) return error as unknown as { errorName: string; message: string };
    throw error;
  }
  throw new Error('expected a VigilError');
}

const KEY = Buffer.alloc(32, 1);

describe('embed outputs stay inside the output directory', () => {
  it('refuses a pattern or a recipient name that climbs out with ".." or starts at the root', async () => {
    const out = path.join(dir, 'out');
    const one = [{ name: 'r', watermarkId: 1 }];
    expect(outputPaths('/in/film.mp4', one, out, 'sub/../{recipient}.{ext}')).toEqual([path.join(out, 'r.mp4')]);
    for (const pattern of ['../{recipient}.{ext}', 'a/../../{recipient}.{ext}', '/tmp/{recipient}.{ext}']) {
      const error = await failure(() => outputPaths('/in/film.mp4', one, out, pattern));
      expect(error.errorName, pattern).toBe('OUTPUT_ESCAPES');
      expect(error.message).toContain(`which is outside the output directory ${out}`);
    }
    const dots = await failure(() => outputPaths('/in/film.mp4', [{ name: '..', watermarkId: 1 }], out, '{recipient}/{recipient}/{watermarkId}.{ext}'));
    expect(dots.errorName).toBe('OUTPUT_ESCAPES');
    expect((await failure(() => outputPaths('/in/film.mp4', [{ name: '..', watermarkId: 1 }], out, '{recipient}.{ext}'))).errorName).toBe('OUTPUT_ESCAPES');
  });

  it('refuses an output whose folder is a symbolic link out of the output directory, before reading the input', async () => {
    const out = path.join(dir, 'out');
    const elsewhere = path.join(dir, 'elsewhere');
    await fs.mkdir(out);
    await fs.mkdir(elsewhere);
    await fs.symlink(elsewhere, path.join(out, 'linked'));
    const error = await failure(() => embedForRecipients({
      input: path.join(dir, 'missing.mp4'), recipients: [{ name: 'r', watermarkId: 1 }], outDir: out,
      outputPattern: 'linked/deeper/{recipient}.{ext}', key: KEY,
    }));
    expect(error.errorName).toBe('OUTPUT_ESCAPES');
    expect(error.message).toContain(`through a symbolic link`);
    expect(await fs.readdir(elsewhere)).toEqual([]);

    // The same pattern through a link that stays inside is fine: the run goes on to the (missing) input.
    await fs.mkdir(path.join(out, 'real'));
    await fs.symlink(path.join(out, 'real'), path.join(out, 'inside'));
    const next = await failure(() => embedForRecipients({
      input: path.join(dir, 'missing.mp4'), recipients: [{ name: 'r', watermarkId: 1 }], outDir: out,
      outputPattern: 'inside/{recipient}.{ext}', key: KEY,
    }));
    expect(next.errorName).toBe('INPUT_MISSING');
  });
});
