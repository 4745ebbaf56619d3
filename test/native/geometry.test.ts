import { describe, expect, it, beforeAll } from 'vitest';
import { createDetector, createEmbedder, type DetectionResult } from '../../native/index.js';
import { crop, dctQuantize, flipVertical, makeScene, mirror, pad, resize, rotate, type Plane8 } from '../../native/bench/synth.js';

// The blind detector against geometry (issue 14): mirroring, non-uniform scale, bands of any size
// found rather than assumed, rotation, 40 % crops. Real-footage rates are in native/bench/geometry.ts.
const KEY = Buffer.from('5e1e2f9a0c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d2e', 'hex');
const OTHER_KEY = Buffer.from('5f1e2f9a0c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d2e', 'hex');
const W = 640;
const H = 360;
const FRAMES = 12;
const PAYLOAD = 0x5eed1234;

function detect(frames: Plane8[], key: Buffer = KEY): DetectionResult {
  const det = createDetector({ key, width: frames[0]!.width, height: frames[0]!.height, bitDepth: 8 });
  for (const f of frames) det.accumulate(f.data);
  return det.result();
}

function expectPayload(r: DetectionResult): void {
  expect(r.found).toBe(true);
  expect(r.payload).toBe(PAYLOAD);
  expect(r.falseAlarmProbability).toBeLessThan(1e-6);
}

describe('blind detection under geometry changes', () => {
  const marked: Plane8[] = [];
  const plain: Plane8[] = [];

  beforeAll(() => {
    const scene = makeScene(11, W, H, { pan: 0.01 });
    const emb = createEmbedder({ key: KEY, width: W, height: H, bitDepth: 8, payload: PAYLOAD });
    for (let t = 0; t < FRAMES; t++) {
      const f = scene.frame(t * 3);
      plain.push({ data: new Uint8Array(f), width: W, height: H });
      emb.embed(f, W);
      marked.push({ data: f, width: W, height: H });
    }
  });

  const attack = (fn: (p: Plane8) => Plane8): Plane8[] => marked.map((p) => dctQuantize(fn(p), 6));

  it('reads a left-right and a top-bottom mirror, and says which', () => {
    const h = detect(attack(mirror));
    expectPayload(h);
    expect([h.mirroredX, h.mirroredY]).toEqual([true, false]);
    const v = detect(attack(flipVertical));
    expectPayload(v);
    expect([v.mirroredX, v.mirroredY]).toEqual([false, true]);
    const both = detect(attack((p) => flipVertical(mirror(p))));
    expectPayload(both);
    expect([both.mirroredX, both.mirroredY]).toEqual([true, true]);
    const none = detect(attack((p) => p));
    expect([none.mirroredX, none.mirroredY]).toEqual([false, false]);
  });

  it('reads a horizontal squeeze by 2 and a stretch by 2 (the frame resized to 8:9 and 32:9)', () => {
    const squeezed = detect(attack((p) => resize(p, W / 2, H)));
    expectPayload(squeezed);
    expect(squeezed.periodX / squeezed.periodY).toBeCloseTo(0.5, 1);
    const stretched = detect(attack((p) => resize(p, W * 2, H)));
    expectPayload(stretched);
    expect(stretched.periodX / stretched.periodY).toBeCloseTo(2, 1);
  });

  it('finds off-centre bands of any size and reads the picture inside them', () => {
    // 16:9 squeezed into a 2.35:1 band, then off-centre pillar and letter bands of different sizes
    const band = (p: Plane8): Plane8 => pad(resize(p, 560, 238), W, H, 24, 70);
    const r = detect(attack(band));
    expectPayload(r);
    const a = r.activeArea!;
    expect(a.x).toBeGreaterThanOrEqual(24);
    expect(a.x).toBeLessThan(24 + 16);
    expect(a.y).toBeGreaterThanOrEqual(70);
    expect(a.y).toBeLessThan(70 + 16);
    expect(a.x + a.width).toBeLessThanOrEqual(24 + 560);
    expect(a.x + a.width).toBeGreaterThan(24 + 560 - 16);
    expect(a.y + a.height).toBeLessThanOrEqual(70 + 238);
    expect(a.y + a.height).toBeGreaterThan(70 + 238 - 16);
    // no bands: the whole frame
    expect(detect(attack((p) => p)).activeArea).toEqual({ x: 0, y: 0, width: W, height: H });
  });

  it('reads the mark rotated by 5 degrees either way', () => {
    expectPayload(detect(attack((p) => rotate(p, 5))));
    expectPayload(detect(attack((p) => rotate(p, -5))));
  });

  it('reads a 40 % crop of each axis rescaled to the frame', () => {
    const cw = Math.round(W * 0.6);
    const ch = Math.round(H * 0.6);
    expectPayload(detect(attack((p) => resize(crop(p, 150, 40, cw, ch), W, H))));
  });

  it('reads nothing in unmarked or wrong-key frames under the same transforms', () => {
    for (const fn of [mirror, (p: Plane8) => pad(resize(p, 560, 238), W, H, 24, 70), (p: Plane8) => rotate(p, 5)]) {
      expect(detect(plain.map((p) => dctQuantize(fn(p), 6))).found).toBe(false);
      expect(detect(attack(fn), OTHER_KEY).found).toBe(false);
    }
  });
});
