import { describe, expect, it } from 'vitest';
import { estimateGeometry, estimateTiming, identityGeometry, maskedNcc, temporalDetail, warpToPackage, type FrameRun, type Geometry } from '../../../runners/package/registration.js';
import { seededRandom } from '../../support/seeded-random.js';

const SIZE = { width: 64, height: 36 };
const ASPECT = SIZE.width / SIZE.height;


/** A smooth picture as a function of position in height units: a sum of random waves. */
function texture(seed: number): (x: number, y: number) => number {
  const rnd = seededRandom(seed);
  const waves = Array.from({ length: 14 }, () => ({ fx: (rnd() - 0.5) * 40, fy: (rnd() - 0.5) * 40, phase: rnd() * 6.3, amp: 10 + rnd() * 20 }));
  return (x, y) => 128 + waves.reduce((s, w) => s + w.amp * Math.sin(w.fx * x + w.fy * y + w.phase), 0) / 3;
}

/** The packaged plane of a picture, and what a recording with geometry g shows of it (each recorded pixel sampled at its packaged point). */
function render(f: (x: number, y: number) => number, g?: Geometry): Uint8Array {
  const out = new Uint8Array(SIZE.width * SIZE.height);
  const h = SIZE.height;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < SIZE.width; x++) {
      let px = (x + 0.5) / h;
      let py = (y + 0.5) / h;
      if (g) {
        const dx = (px - ASPECT / 2) * g.sx;
        const dy = (py - 0.5) * g.sy;
        px = g.cx + Math.cos(g.angle) * dx - Math.sin(g.angle) * dy;
        py = g.cy + Math.sin(g.angle) * dx + Math.cos(g.angle) * dy;
      }
      out[y * SIZE.width + x] = Math.max(0, Math.min(255, Math.round(f(px, py))));
    }
  }
  return out;
}

function pairsFor(g: Geometry): { rec: Uint8Array; ref: Uint8Array }[] {
  return [11, 12, 13].map((seed) => ({ rec: render(texture(seed), g), ref: render(texture(seed)) }));
}

function expectNear(found: Geometry, truth: Geometry): void {
  const px = 1 / SIZE.height;
  expect(Math.abs(found.cx - truth.cx)).toBeLessThan(0.5 * px);
  expect(Math.abs(found.cy - truth.cy)).toBeLessThan(0.5 * px);
  expect(Math.abs(found.sx - truth.sx)).toBeLessThan(0.01);
  expect(Math.abs(found.sy - truth.sy)).toBeLessThan(0.01);
  expect(Math.abs(found.angle - truth.angle)).toBeLessThan((0.3 * Math.PI) / 180);
}

describe('registration geometry', () => {
  it('the identity warp copies the picture and masks only the border', () => {
    const plane = render(texture(1));
    const out = new Float64Array(plane.length);
    const mask = new Uint8Array(plane.length);
    const valid = warpToPackage(plane, SIZE, identityGeometry(SIZE), out, mask);
    // Margin 1.5 px: the outermost pixel each side is out.
    expect(valid).toBe((SIZE.width - 2) * (SIZE.height - 2));
    const i = 10 * SIZE.width + 20;
    expect(out[i]).toBe(plane[i]);
    expect(mask[0]).toBe(0);
  });

  it('finds a crop keeping 85 % of the picture, off centre', () => {
    const truth = { cx: ASPECT / 2 + 0.06, cy: 0.5 - 0.05, sx: 0.85, sy: 0.85, angle: 0 };
    const { geometry, score } = estimateGeometry(pairsFor(truth), SIZE);
    expectNear(geometry, truth);
    expect(score).toBeGreaterThan(0.98);
  });

  it('finds a 2° turn of the whole picture, and a stretch that is not a crop of the same aspect', () => {
    const turned = { cx: ASPECT / 2, cy: 0.5, sx: 1, sy: 1, angle: (2 * Math.PI) / 180 };
    expectNear(estimateGeometry(pairsFor(turned), SIZE).geometry, turned);
    const stretched = { cx: ASPECT / 2 - 0.03, cy: 0.5, sx: 0.9, sy: 0.86, angle: 0 };
    expectNear(estimateGeometry(pairsFor(stretched), SIZE).geometry, stretched);
  });

  it('masked correlation counts only the masked pixels', () => {
    const a = [1, 2, 3, 4, ...Array.from({ length: 16 }, (_, i) => i)];
    const b = [9, 9, 9, 9, ...Array.from({ length: 16 }, (_, i) => 2 * i + 1)];
    const mask = Uint8Array.from(a.map((_, i) => (i < 4 ? 0 : 1)));
    expect(maskedNcc(a, b, mask)).toBeCloseTo(1, 9);
  });
});

describe('registration timing', () => {
  /** Frames unlike each other (grain) over a slow drift of brightness, at `fps`. */
  function title(frames: number, fps: number): FrameRun {
    const rnd = seededRandom(7);
    return {
      size: { width: 32, height: 18 }, fps, start: 0,
      frames: Array.from({ length: frames }, (_, k) => Uint8Array.from({ length: 32 * 18 }, () => 100 + k * 0.3 + rnd() * 60)),
    };
  }

  it('finds the offset and the rate of a recording 5 % fast at another frame rate', () => {
    const ref = title(400, 8);
    // Recorded frame j at 10 fps shows the title at 2.5 + 1.05 j / 10 seconds.
    const rec: FrameRun = { ...ref, fps: 10, frames: Array.from({ length: 300 }, (_, j) => ref.frames[Math.round((2.5 + (1.05 * j) / 10) * 8)]!) };
    const { timing } = estimateTiming(temporalDetail(rec), temporalDetail(ref), identityGeometry(ref.size), { around: 4, radius: 6 });
    expect(Math.abs(timing.offset - 2.5)).toBeLessThanOrEqual(1 / 16);
    expect(Math.abs(timing.rate - 1.05)).toBeLessThan(0.003);
  });

  it('temporal detail cancels a steady change and keeps what differs from frame to frame', () => {
    const run: FrameRun = { size: { width: 4, height: 4 }, fps: 4, start: 0, frames: Array.from({ length: 12 }, (_, k) => new Uint8Array(16).fill(10 + 5 * k)) };
    const detail = temporalDetail(run);
    expect(Array.from(detail.frames[6]!)).toEqual(new Array(16).fill(0));
    const bumped = { ...run, frames: run.frames.map((f, k) => (k === 6 ? Uint8Array.from(f, (v) => v + 40) : f)) };
    expect(temporalDetail(bumped).frames[6]![0]).toBeGreaterThan(30);
  });
});
