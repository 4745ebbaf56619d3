import { describe, expect, it, beforeAll } from 'vitest';
import { createDetector, createEmbedder, type DetectionResult } from '../../native/index.js';
import { addNoise, makeScene } from '../../native/bench/synth.js';
import { boxMean } from '../support/box-mean.js';

// Mark version 3 (native/src/pattern.h chipFactor, chipsync.h): not released, read only by a
// detector made with readChipped. A clip cut at an arbitrary frame of the copy must be placed in
// the keyed chip sequence from its frames' levels alone, and then read.
const KEY = Buffer.from('3d0c9b8a7f6e5d4c3b2a19080706050403020100ffeeddccbbaa998877665544', 'hex');
const W = 320;
const H = 180;
const PAYLOAD = 0x13579bdf;
const COPY_FRAMES = 560;
const CUT = 137;
const CLIP_FRAMES = 400;

function makeCopy(): Uint8Array[] {
  // Two shots, each a still under heavy grain whose level drifts (a fade): the sync must high-pass
  // each shot on its own, and the grain leaves a pair of frames too little of the tile to read
  // without the right chip signs. (A scene that moved every few frames would put steps in the
  // level at the chips' own rate: not what footage does.)
  const stills = [makeScene(5, W, H).frame(0), makeScene(9, W, H).frame(0)];
  const emb = createEmbedder({ key: KEY, width: W, height: H, bitDepth: 8, payload: PAYLOAD, markVersion: 3 });
  const out: Uint8Array[] = [];
  for (let t = 0; t < COPY_FRAMES; t++) {
    const still = stills[t < 300 ? 0 : 1]!;
    const drift = 0.03 * (t % 300);
    const g = new Uint8Array(addNoise({ data: Uint8Array.from(still, (v) => Math.min(255, v + drift)), width: W, height: H }, 12, t).data);
    emb.embed(g, W);
    out.push(g);
  }
  return out;
}

function detect(frames: readonly Uint8Array[], readChipped: boolean): DetectionResult {
  const det = createDetector({ key: KEY, width: W, height: H, bitDepth: 8, readChipped });
  for (const f of frames) det.accumulate(f);
  return det.result();
}

describe("mark version 3 (keyed chips, placed by the frames' levels)", () => {
  let clip: Uint8Array[];
  beforeAll(() => {
    clip = makeCopy().slice(CUT, CUT + CLIP_FRAMES);
  }, 600_000);

  it('places a clip cut at an arbitrary frame in the chip sequence and reads its ID', () => {
    const r = detect(clip, true);
    expect(r.chipStart).toBe(CUT);
    // the sync's evidence grows with the number of chips, not frames: 50 chips allow about 7 sigma
    expect(r.syncZ).toBeGreaterThan(3.5);
    expect(r.found).toBe(true);
    expect(r.payload).toBe(PAYLOAD);
    expect(r.falseAlarmProbability).toBeLessThan(1e-6);
  }, 120_000);

  it('survives the estimation attack that removes version 1: the whole clip mean, high-passed, subtracted', () => {
    const mean = new Float32Array(W * H);
    for (const f of clip) for (let i = 0; i < f.length; i++) mean[i] = mean[i]! + f[i]! / clip.length;
    const blur = boxMean(mean, W, H, 7);
    const attacked = clip.map((f) => Uint8Array.from(f, (v, i) => Math.min(255, Math.max(0, Math.round(v - (mean[i]! - blur[i]!))))));
    const r = detect(attacked, true);
    expect(r.found).toBe(true);
    expect(r.payload).toBe(PAYLOAD);
  }, 120_000);
});
