import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { bestMatchingFrame, detectLeak, ncc } from '../../../runners/watermark/detect.js';
import { embedForRecipients } from '../../../runners/watermark/embed.js';
import { watermarkKey } from '../../../runners/watermark/keys.js';
import { ffmpeg, makeClip } from '../media/clips.js';

const KEY = Buffer.from('0c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d213f1e2d9a', 'hex');
const WRONG = Buffer.from('1c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d213f1e2d9a', 'hex');
let dir: string;
let original: string;
let marked: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-detect-'));
  original = await makeClip(dir, 'h264', 3, 'source');
  const { outputs } = await embedForRecipients({ input: original, key: KEY, outDir: dir, minDuration: 0, preset: 'ultrafast', recipients: [{ name: 'leaker', watermarkId: 90210 }] });
  marked = outputs[0]!.output;
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('detect', () => {
  it('finds the ID blind in a video and says how much of it carried the mark', async () => {
    const r = await detectLeak({ leak: marked, keys: [watermarkKey(KEY, 'test')] });
    expect(r).toMatchObject({ kind: 'video', mode: 'blind', found: true, watermarkId: 90210 });
    expect(r.falseAlarmProbability).toBeLessThan(1e-6);
    expect(r.framesUsed).toBe(30);
    expect(r.markedFraction).toBeGreaterThan(0.5);
    expect(r.seconds).toBeCloseTo(3, 1);
  });

  it('finds nothing in the unmarked original, nor with the wrong key', async () => {
    expect((await detectLeak({ leak: original, keys: [watermarkKey(KEY, 'test')] })).found).toBe(false);
    expect((await detectLeak({ leak: marked, keys: [watermarkKey(WRONG, 'test')] })).found).toBe(false);
  });

  it('decodes one JPEG screenshot against the original video, matching the frame it came from', async () => {
    const shot = path.join(dir, 'shot.jpg');
    await ffmpeg(['-ss', '1.75', '-i', marked, '-frames:v', '1', '-q:v', '4', shot]);
    const r = await detectLeak({ leak: shot, original, keys: [watermarkKey(KEY, 'test')] });
    expect(r).toMatchObject({ kind: 'image', mode: 'with-original', found: true, watermarkId: 90210 });
    expect(r.originalTime).toBeCloseTo(1.8, 1);
    const png = path.join(dir, 'orig.png');
    await ffmpeg(['-ss', '1.75', '-i', original, '-frames:v', '1', png]);
    expect((await detectLeak({ leak: shot, original: png, keys: [watermarkKey(KEY, 'test')] })).watermarkId).toBe(90210);
    // A screenshot of the unmarked original carries nothing.
    expect((await detectLeak({ leak: png, original, keys: [watermarkKey(KEY, 'test')] })).found).toBe(false);
  });

  it('needs --original for a still (ORIGINAL_REQUIRED) and a readable leak (INPUT_MISSING)', async () => {
    const err = await detectLeak({ leak: path.join(dir, 'x.png'), keys: [watermarkKey(KEY, 'test')] }).catch((e: unknown) => e);
    expect(isVigilError(err, 'ORIGINAL_REQUIRED')).toBe(true);
    const missing = await detectLeak({ leak: path.join(dir, 'none.mp4'), keys: [watermarkKey(KEY, 'test')] }).catch((e: unknown) => e);
    expect(isVigilError(missing, 'INPUT_MISSING')).toBe(true);
  });

  it('picks the best-matching original frame by luma correlation', async () => {
    const thumbOf = async (t: number): Promise<Uint8Array> => {
      const f = path.join(dir, `t${t}.png`);
      await ffmpeg(['-ss', String(t), '-i', original, '-frames:v', '1', '-vf', 'scale=64:36:flags=area,format=gray', f]);
      const raw = path.join(dir, `t${t}.gray`);
      await ffmpeg(['-i', f, '-f', 'rawvideo', '-pix_fmt', 'gray', raw]);
      return new Uint8Array(await fs.readFile(raw));
    };
    const thumb = await thumbOf(2.2);
    expect(ncc(thumb, thumb)).toBeCloseTo(1, 6);
    const m = await bestMatchingFrame(original, thumb);
    expect(m.frameIndex).toBe(22);
    expect(m.score).toBeGreaterThan(0.99);
  });
});
