import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_FRAME_THRESHOLD,
  FINGERPRINT_BYTES,
  fingerprintDistance,
  fingerprintFromBits,
  frameFingerprint,
  hammingDistance,
  matchImages,
  matchSequences,
  type Fingerprint,
  type TimedFingerprint,
} from '../../native/fingerprint.js';
import { crop, dctQuantize, letterbox, makeScene, makeTitle, mirror, overlay, resize, tone, type Plane8 } from '../../native/bench/synth.js';

const T = DEFAULT_FRAME_THRESHOLD;
const fp = (p: Plane8): Fingerprint => frameFingerprint(p.data, p.width, p.height);


function sequence(render: (sec: number) => Plane8, times: number[], attack: (p: Plane8) => Plane8 = (p) => p, t0 = 0): TimedFingerprint[] {
  return times.map((t) => ({ time: t - t0, fingerprint: fp(attack(render(t))) }));
}

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let t = from; t < to - 1e-9; t += step) out.push(Math.round(t * 1000) / 1000);
  return out;
};

describe('native perceptual fingerprint: single pictures', () => {
  const W = 640;
  const H = 360;
  const scenes = Array.from({ length: 6 }, (_, i) => makeScene(500 + i * 31, W, H));
  const originals: Plane8[] = scenes.flatMap((s) => [0, 90].map((t) => ({ data: s.frame(t), width: W, height: H })));
  const ofp = originals.map(fp);

  it('gives a deterministic 808-byte fingerprint whose first word is the whole-picture hash', () => {
    const a = ofp[0]!;
    const b = fp(originals[0]!);
    expect(a.bits.length).toBe(FINGERPRINT_BYTES);
    expect(Buffer.from(a.bits).equals(Buffer.from(b.bits))).toBe(true);
    expect(a.hash).toBe(Buffer.from(a.bits).readBigUInt64LE(0));
    expect(a.informative).toBe(true);
    expect(a.content).toEqual({ x: 0, y: 0, width: W, height: H });
    expect(hammingDistance(a, b)).toBe(0);
    expect(hammingDistance(0n, 0xffffffffffffffffn)).toBe(64);
    expect(fingerprintDistance(a, fingerprintFromBits(a.bits))).toBe(0);
  });

  it('honours stride: a plane inside a wider buffer fingerprints like the packed plane', () => {
    const p = originals[1]!;
    const stride = W + 37;
    const wide = new Uint8Array(stride * H).fill(200);
    for (let y = 0; y < H; y++) wide.set(p.data.subarray(y * W, (y + 1) * W), y * stride);
    expect(frameFingerprint(wide, W, H, stride).hash).toBe(ofp[1]!.hash);
  });

  it('keeps the same scene close after re-encoding, scaling, letterboxing, tone changes, overlays and mirroring', () => {
    const attacks: Record<string, (p: Plane8) => Plane8> = {
      'jpeg-like quantization': (p) => dctQuantize(p, 8),
      'scale x0.5 + quantization': (p) => dctQuantize(resize(p, W / 2, H / 2), 6),
      'scale x0.75': (p) => resize(p, 480, 270),
      'letterbox into 4:3': (p) => letterbox(p, 480, 360),
      'pillarbox into 21:9': (p) => letterbox(p, 840, 360),
      'brightness/contrast/gamma': (p) => tone(p, { brightness: 25, contrast: 0.8, gamma: 1.3 }),
      'logo and subtitles': (p) => overlay(p, { logo: 0.14, subtitles: true }),
      mirror: (p) => mirror(p),
    };
    for (const [name, attack] of Object.entries(attacks)) {
      originals.forEach((o, i) => {
        const d = fingerprintDistance(ofp[i]!, fp(attack(o)));
        expect(d, `${name}, picture ${i}`).toBeLessThanOrEqual(T);
      });
    }
    // Without mirroring and cropping the plain 64-bit pHash alone is already close.
    originals.forEach((o, i) => expect(hammingDistance(ofp[i]!, fp(dctQuantize(resize(o, W / 2, H / 2), 6)))).toBeLessThanOrEqual(4));
  });

  it('survives 10 % and 15 % crops through the crop windows, where the plain pHash drifts', () => {
    const crops: Record<string, (p: Plane8) => Plane8> = {
      'centred 10 % rescaled back': (p) => resize(crop(p, 32, 18, 576, 324), W, H),
      'one-sided 10 %': (p) => crop(p, 64, 0, 576, 360),
      '15 % both axes, off-centre': (p) => crop(p, 64, 18, 544, 306),
    };
    let plainSum = 0;
    let windowSum = 0;
    for (const [name, attack] of Object.entries(crops)) {
      originals.forEach((o, i) => {
        const a = fp(attack(o));
        const d = fingerprintDistance(ofp[i]!, a);
        expect(d, `${name}, picture ${i}`).toBeLessThanOrEqual(T);
        windowSum += d;
        plainSum += hammingDistance(ofp[i]!, a);
      });
    }
    expect(plainSum).toBeGreaterThan(windowSum * 2);
  });

  it('strips letterbox bars before hashing and reports the content region', () => {
    const boxed = letterbox(originals[0]!, 480, 360); // 480x270 picture, 45-line bars
    const f = fp(boxed);
    expect(Math.abs(f.content.y - 45)).toBeLessThanOrEqual(1);
    expect(Math.abs(f.content.height - 270)).toBeLessThanOrEqual(2);
    expect(f.content.x).toBe(0);
    expect(f.content.width).toBe(480);
  });

  it('keeps different scenes and different titles far apart', () => {
    const ds: number[] = [];
    for (let i = 0; i < ofp.length; i++)
      for (let j = 0; j < ofp.length; j++) {
        if (Math.floor(i / 2) === Math.floor(j / 2)) continue;
        ds.push(fingerprintDistance(ofp[i]!, fp(dctQuantize(resize(originals[j]!, 480, 270), 6))));
      }
    ds.sort((a, b) => a - b);
    expect(ds[Math.floor(ds.length / 2)]!).toBeGreaterThanOrEqual(16);
    expect(ds.filter((d) => d <= T).length / ds.length).toBeLessThan(0.02);
  });

  it('marks flat pictures (black, single colour) as not informative', () => {
    expect(frameFingerprint(new Uint8Array(320 * 180).fill(16), 320, 180).informative).toBe(false);
    expect(frameFingerprint(new Uint8Array(320 * 180).fill(128), 320, 180).informative).toBe(false);
  });

  it('rejects planes that are too small or a stride below the width', () => {
    expect(() => frameFingerprint(new Uint8Array(64), 8, 8)).toThrow(RangeError);
    expect(() => frameFingerprint(new Uint8Array(64 * 64), 64, 64, 32)).toThrow(RangeError);
    expect(() => frameFingerprint(new Uint8Array(10), 64, 64)).toThrow(/smaller/);
  });
});

describe('native perceptual fingerprint: sequences and page sets', () => {
  const W = 192;
  const H = 108;
  const filmA = makeTitle(11, W, H);
  const filmB = makeTitle(23, W, H);
  const reference = sequence(filmA, range(0, 180, 0.5)); // 3 minutes at 2 fps
  // A leak: 30 s from 70 s on, sampled at 1.5 fps with another phase, cropped, rescaled, re-encoded, logo.
  const leakAttack = (p: Plane8): Plane8 => dctQuantize(overlay(resize(crop(p, 10, 4, 172, 98), 160, 90), { logo: 0.12 }), 5);

  it('finds a clip cut from the middle at the right offset despite frame-rate change and attacks', () => {
    const cand = sequence(filmA, range(70.3, 100.3, 1 / 1.5), leakAttack, 70.3);
    const m = matchSequences(reference, cand);
    expect(m.matched).toBe(true);
    expect(Math.abs(m.offset - 70.3)).toBeLessThanOrEqual(0.75);
    expect(m.votes).toBeGreaterThanOrEqual(20);
    expect(m.coverage).toBeGreaterThan(0.8);
    expect(m.distance).toBeLessThan(T / 64);
    expect(m.matchedSpans.length).toBeGreaterThanOrEqual(1);
    const first = m.matchedSpans[0]!;
    const last = m.matchedSpans[m.matchedSpans.length - 1]!;
    expect(first.candStart).toBeLessThan(2);
    expect(last.candEnd).toBeGreaterThan(27);
    expect(Math.abs(first.refStart - (70.3 + first.candStart))).toBeLessThanOrEqual(0.75);
  });

  it('does not match an unrelated title with the same attacks, nor black frames', () => {
    const other = sequence(filmB, range(70.3, 100.3, 1 / 1.5), leakAttack, 70.3);
    const m = matchSequences(reference, other);
    expect(m.matched).toBe(false);
    // Scenes from one generator look alike, so a few frames may pass, but never most of the clip.
    expect(m.coverage).toBeLessThan(0.25);
    const black: TimedFingerprint[] = range(0, 10, 0.5).map((time) => ({ time, fingerprint: frameFingerprint(new Uint8Array(W * H).fill(16), W, H) }));
    const mb = matchSequences(reference, black);
    expect(mb.matched).toBe(false);
    expect(mb.candidateFrames).toBe(0);
  });

  it('matches a comic leak page by page and leaves an unrelated page unmatched', () => {
    const PW = 240;
    const PH = 360;
    const pages = Array.from({ length: 8 }, (_, i) => ({ data: makeScene(9000 + i * 13, PW, PH).frame(0), width: PW, height: PH }));
    const refs = pages.map(fp);
    // Scans: white page margins added, rescaled, a tone change, quantization; one page from another comic.
    const scan = (p: Plane8): Plane8 => {
      const framed = new Uint8Array((PW + 40) * (PH + 60)).fill(245);
      for (let y = 0; y < PH; y++) framed.set(p.data.subarray(y * PW, (y + 1) * PW), (y + 30) * (PW + 40) + 20);
      return dctQuantize(tone(resize({ data: framed, width: PW + 40, height: PH + 60 }, 210, 315), { gamma: 1.2 }), 5);
    };
    const foreign = { data: makeScene(777, PW, PH).frame(0), width: PW, height: PH };
    const cands = [pages[5]!, pages[2]!, foreign, pages[6]!].map((p) => fp(scan(p)));
    const r = matchImages(refs, cands);
    expect(r.matched).toBe(true);
    expect(r.matchedPages).toBe(3);
    expect(r.pages.map((p) => (p.matched ? p.reference : -1))).toEqual([5, 2, -1, 6]);
    expect(r.pages[2]!.distance).toBeGreaterThan(T);
    expect(matchImages(refs, [fp(scan(foreign))]).matched).toBe(false);
  });
});

const hasFfmpeg = spawnSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasFfmpeg)('native perceptual fingerprint: real ffmpeg round trip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function ffmpeg(args: string[]): Buffer {
    const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    return r.stdout;
  }

  /** Decodes a file to gray frames at `fps` and fingerprints them (times from the frame index). */
  function fingerprintsOf(file: string, fps: number, width: number, height: number): TimedFingerprint[] {
    const raw = ffmpeg(['-i', file, '-vf', `fps=${fps}`, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
    const size = width * height;
    const out: TimedFingerprint[] = [];
    for (let o = 0, i = 0; o + size <= raw.length; o += size, i++)
      out.push({ time: i / fps, fingerprint: frameFingerprint(new Uint8Array(raw.buffer, raw.byteOffset + o, size), width, height) });
    return out;
  }

  it('finds a re-encoded, cropped and scaled 6 s excerpt in its 20 s H.264 reference, and not in other footage', () => {
    const ref = join(dir, 'ref.mp4');
    const cand = join(dir, 'cand.mp4');
    const other = join(dir, 'other.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'mandelbrot=s=320x180:r=10', '-t', '20', '-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', ref]);
    // Excerpt 8..14 s, 10 % crop off-centre, downscaled, re-encoded at low quality with another GOP.
    ffmpeg(['-ss', '8', '-i', ref, '-t', '6', '-vf', 'crop=iw*0.9:ih*0.9:12:6,scale=256:144,eq=gamma=1.15', '-c:v', 'libx264', '-crf', '32', '-g', '7', cand]);
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=256x144:r=10', '-t', '6', '-vf', 'noise=alls=12:allf=t', '-c:v', 'libx264', '-crf', '30', other]);

    const refFps = fingerprintsOf(ref, 2, 320, 180);
    const candFps = fingerprintsOf(cand, 3, 256, 144);
    expect(refFps.length).toBeGreaterThanOrEqual(39);
    expect(candFps.length).toBeGreaterThanOrEqual(17);

    const m = matchSequences(refFps, candFps);
    expect(m.matched).toBe(true);
    expect(Math.abs(m.offset - 8)).toBeLessThanOrEqual(0.75);
    expect(m.coverage).toBeGreaterThan(0.6);
    expect(m.distance).toBeLessThan(T / 64);

    const n = matchSequences(refFps, fingerprintsOf(other, 3, 256, 144));
    expect(n.matched).toBe(false);
  });
});
