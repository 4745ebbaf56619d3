import { describe, expect, it, beforeAll } from 'vitest';
import { createDetector, createEmbedder, detectWithOriginal, version, type DetectionResult } from '../../native/index.js';
import {
  addNoise,
  blur,
  crop,
  dctQuantize,
  letterbox,
  makeScene,
  psnr,
  resize,
  ssim,
  tone,
  type Plane8,
} from '../../native/bench/synth.js';

const KEY = Buffer.from('6b1e2f9a0c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d2e', 'hex');
const OTHER_KEY = Buffer.from('aa1e2f9a0c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d2e', 'hex');
const W = 480;
const H = 270;
const FRAMES = 12;
const PAYLOAD = 0xc0ffee42;

function detect(frames: Plane8[], key: Buffer = KEY): DetectionResult {
  const first = frames[0]!;
  const det = createDetector({ key, width: first.width, height: first.height, bitDepth: 8 });
  for (const f of frames) det.accumulate(f.data);
  return det.result();
}

function expectPayload(r: DetectionResult): void {
  expect(r.found).toBe(true);
  expect(r.payload).toBe(PAYLOAD);
  expect(r.falseAlarmProbability).toBeLessThan(1e-6);
}

describe('native watermark kernel', () => {
  const originals: Plane8[] = [];
  const marked: Plane8[] = [];
  let meanPsnr = 0;
  let meanSsim = 0;

  beforeAll(() => {
    const scene = makeScene(7, W, H, { pan: 0.01 });
    const emb = createEmbedder({ key: KEY, width: W, height: H, bitDepth: 8, payload: PAYLOAD });
    for (let t = 0; t < FRAMES; t++) {
      const f = scene.frame(t * 3);
      const g = new Uint8Array(f);
      emb.embed(g, W);
      originals.push({ data: f, width: W, height: H });
      marked.push({ data: g, width: W, height: H });
      meanPsnr += psnr(f, g) / FRAMES;
      meanSsim += ssim(f, g, W, H) / FRAMES;
    }
  });

  it('reports a version', () => {
    expect(version()).toMatch(/^vigil-wm \d+\.\d+\.\d+/);
  });

  it('is invisible by the numbers: PSNR >= 42 dB, SSIM >= 0.99, and actually changes the frame', () => {
    expect(meanPsnr).toBeGreaterThanOrEqual(42);
    expect(meanPsnr).toBeLessThan(60); // a no-op embedder would give Infinity
    expect(meanSsim).toBeGreaterThanOrEqual(0.99);
  });

  it('recovers the exact payload blindly', () => {
    const r = detect(marked);
    expectPayload(r);
    expect(r.framesUsed).toBe(FRAMES);
    expect(r.framesWithMark).toBeGreaterThan(0);
    expect(r.confidence).toBeGreaterThan(0.999999);
    expect(r.periodY).toBeGreaterThan(H / 2 - 4);
    expect(r.periodY).toBeLessThan(H / 2 + 4);
  });

  it('finds nothing with a wrong key or in unmarked frames, and reports a high false-alarm probability', () => {
    const wrong = detect(marked, OTHER_KEY);
    expect(wrong.found).toBe(false);
    expect(wrong.payload).toBeUndefined();
    const clean = detect(originals);
    expect(clean.found).toBe(false);
    expect(clean.falseAlarmProbability).toBeGreaterThan(1e-3);
  });

  it('gives no false ID over repeated unmarked / wrong-key trials', () => {
    let falseIds = 0;
    for (let i = 0; i < 8; i++) {
      const key = Buffer.alloc(32);
      key.writeUInt32LE(Math.imul(0x9e3779b9, i + 1) >>> 0, 0);
      const scene = makeScene(100 + i, 320, 180);
      const det = createDetector({ key, width: 320, height: 180, bitDepth: 8 });
      for (let t = 0; t < 3; t++) det.accumulate(scene.frame(t));
      if (det.result().found) falseIds++;
    }
    expect(falseIds).toBe(0);
  });

  it('survives downscale by 2 (box filter)', () => {
    expectPayload(detect(marked.map((p) => resize(p, W / 2, H / 2))));
  });

  it('survives 20 % crop without rescale, and crop + rescale to the original size', () => {
    const cw = Math.round(W * 0.8);
    const ch = Math.round(H * 0.8);
    expectPayload(detect(marked.map((p) => crop(p, 17, 40, cw, ch))));
    expectPayload(detect(marked.map((p) => resize(crop(p, 60, 10, cw, ch), W, H))));
  });

  it('survives an anisotropic crop (horizontal only) rescaled back to 16:9', () => {
    expectPayload(detect(marked.map((p) => resize(crop(p, 48, 0, Math.round(W * 0.82), H), W, H))));
  });

  it('survives letterboxing into 4:3', () => {
    expectPayload(detect(marked.map((p) => letterbox(p, 320, 240))));
  });

  it('survives brightness, contrast and gamma changes', () => {
    expectPayload(detect(marked.map((p) => tone(p, { brightness: 20, contrast: 0.8, gamma: 1.3 }))));
  });

  it('survives additive noise and blur', () => {
    expectPayload(detect(marked.map((p, i) => addNoise(p, 4, i + 1))));
    expectPayload(detect(marked.map((p) => blur(p, 2))));
  });

  it('survives compression-like DCT quantization after downscaling', () => {
    const attacked = marked.map((p) => dctQuantize(resize(p, 320, 180), 6));
    expect(psnr(attacked[0]!.data, resize(originals[0]!, 320, 180).data)).toBeLessThan(40); // the attack is real
    expectPayload(detect(attacked));
  });

  it('round-trips 10-bit planes', () => {
    const emb = createEmbedder({ key: KEY, width: W, height: H, bitDepth: 10, payload: PAYLOAD });
    const det = createDetector({ key: KEY, width: W, height: H, bitDepth: 10 });
    let p = 0;
    for (const o of originals) {
      const src = new Uint16Array(o.data.length);
      for (let i = 0; i < src.length; i++) src[i] = o.data[i]! * 4 + (i % 3);
      const out = new Uint16Array(src);
      emb.embed(out);
      p += psnr(src, out, 1023) / originals.length;
      det.accumulate(out);
    }
    expect(p).toBeGreaterThanOrEqual(42);
    expectPayload(det.result());
    expect(() => emb.embed(new Uint8Array(W * H))).toThrow(/Uint16Array/);
  });

  it('marks the last columns the same whether the vector body or the scalar tail reaches them', () => {
    // On a flat frame the mask is the same everywhere and the pattern depends on x and the height
    // only, so column x gets the same change at any width: 487 ends in a 7-column scalar tail,
    // 495 covers those columns with 8-wide vector steps.
    const h = 64;
    const marks = (width: number, bitDepth: 8 | 10): number[][] => {
      const level = bitDepth === 8 ? 128 : 512;
      const plane = bitDepth === 8 ? new Uint8Array(width * h).fill(level) : new Uint16Array(width * h).fill(level);
      createEmbedder({ key: KEY, width, height: h, bitDepth, payload: PAYLOAD, strength: 20 }).embed(plane);
      return Array.from({ length: h }, (_, y) => Array.from({ length: 7 }, (_, i) => plane[y * width + 480 + i]! - level));
    };
    for (const depth of [8, 10] as const) {
      const tail = marks(487, depth);
      expect(tail).toEqual(marks(495, depth));
      expect(tail.flat().some((d) => d !== 0)).toBe(true);
    }
  });

  it('decodes non-blind from one cropped, rescaled, quantized screenshot and its original', () => {
    const leak = dctQuantize(resize(crop(marked[3]!, 30, 12, 420, 236), 400, 225), 8);
    const r = detectWithOriginal({
      key: KEY,
      leak: { plane: leak.data, width: leak.width, height: leak.height, bitDepth: 8 },
      original: { plane: originals[3]!.data, width: W, height: H, bitDepth: 8 },
    });
    expectPayload(r);
    const none = detectWithOriginal({
      key: KEY,
      leak: { plane: dctQuantize(originals[3]!, 8).data, width: W, height: H, bitDepth: 8 },
      original: { plane: originals[3]!.data, width: W, height: H, bitDepth: 8 },
    });
    expect(none.found).toBe(false);
  });

  it('reads a noisy still against its original, and a blind read of the same difference names that ID or nothing', () => {
    // Low-frequency noise (blurred, σ 34 before the blur) plus quantization: what a second
    // encode and a JPEG leave on a grainy frame, the kind of still the aligned reader exists for.
    const lowFrequencyNoise = (p: Plane8, sigma: number, seed: number): Plane8 => {
      const field = blur(addNoise({ data: new Uint8Array(p.data.length).fill(128), width: p.width, height: p.height }, sigma, seed), 2);
      return { ...p, data: p.data.map((v, i) => Math.max(0, Math.min(255, v + field.data[i]! - 128))) };
    };
    const aligned = (leak: Plane8, original: Plane8, key: Buffer): DetectionResult => detectWithOriginal({
      key,
      leak: { plane: leak.data, width: W, height: H, bitDepth: 8 },
      original: { plane: original.data, width: W, height: H, bitDepth: 8 },
    });
    for (let t = 0; t < 3; t++) {
      const leak = dctQuantize(lowFrequencyNoise(marked[t]!, 34, t + 1), 8);
      expectPayload(aligned(leak, originals[t]!, KEY));
      // The blind search has no original to remove the host with: it may miss, but what it names
      // must be the embedded ID.
      const diff = leak.data.map((v, i) => Math.max(0, Math.min(255, v - originals[t]!.data[i]! + 128)));
      const blind = detect([{ data: diff, width: W, height: H }]);
      if (blind.found) expect(blind.payload).toBe(PAYLOAD);
    }
    // the same attack on a still read with a wrong key, and on an unmarked still, names nobody
    expect(aligned(dctQuantize(lowFrequencyNoise(marked[0]!, 34, 9), 8), originals[0]!, OTHER_KEY).found).toBe(false);
    expect(aligned(dctQuantize(lowFrequencyNoise(originals[1]!, 34, 9), 8), originals[1]!, KEY).found).toBe(false);
  }, 180_000);

  it('validates its inputs', () => {
    expect(() => createEmbedder({ key: Buffer.alloc(16), width: W, height: H, bitDepth: 8, payload: 1 })).toThrow(/32 bytes/);
    expect(() => createEmbedder({ key: KEY, width: W, height: H, bitDepth: 8, payload: 0 })).toThrow(/payload/);
    const emb = createEmbedder({ key: KEY, width: W, height: H, bitDepth: 8, payload: 1 });
    expect(() => emb.embed(new Uint8Array(10))).toThrow(/smaller/);
  });
});
