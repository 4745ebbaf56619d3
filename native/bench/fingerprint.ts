/**
 * Perceptual fingerprint bench: speed (fingerprints/s at 1080p and 480p, sequence match time for a
 * 30-minute reference at 2 fps against a 60 s candidate) and a ROC table over synthetic titles and
 * attacks (frame level and clip level).
 *
 *   node --import tsx native/bench/fingerprint.ts [--quick]
 */
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_FRAME_THRESHOLD,
  fingerprintDistance,
  frameFingerprint,
  matchSequences,
  type Fingerprint,
  type TimedFingerprint,
} from '../fingerprint.js';
import { crop, dctQuantize, letterbox, makeScene, makeTitle, mirror, overlay, resize, rng, tone, type Plane8 } from './synth.js';

const quick = process.argv.includes('--quick');
const fp = (p: Plane8): Fingerprint => frameFingerprint(p.data, p.width, p.height);

function timeIt(fn: () => void, minMs = 400): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

// ------------------------------------------------------------------ speed

console.log('## Speed (one core)\n');
for (const [name, w, h] of [
  ['1080p', 1920, 1080],
  ['480p', 854, 480],
] as const) {
  const f = makeScene(3, w, h).frame(0);
  const ms = timeIt(() => frameFingerprint(f, w, h));
  console.log(`fingerprint ${name}: ${ms.toFixed(2)} ms/frame (${(1000 / ms).toFixed(0)} fps)`);
}

const times = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let t = from; t < to - 1e-9; t += step) out.push(t);
  return out;
};
const seq = (render: (s: number) => Plane8, ts: number[], attack: (p: Plane8) => Plane8 = (p) => p, t0 = 0): TimedFingerprint[] =>
  ts.map((t) => ({ time: t - t0, fingerprint: fp(attack(render(t))) }));

const SW = 128;
const SH = 72;
const refMinutes = quick ? 5 : 30;
const filmA = makeTitle(41, SW, SH, { grain: 1 });
const t0 = performance.now();
const reference = seq(filmA, times(0, refMinutes * 60, 0.5));
console.log(`(rendered and fingerprinted a ${refMinutes}-minute reference at 2 fps: ${reference.length} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
const leak = (p: Plane8): Plane8 => dctQuantize(overlay(resize(crop(p, 8, 3, 114, 66), 112, 63), { logo: 0.12 }), 5);
const leakStart = refMinutes * 30 + 0.2; // the middle of the reference
const cand = seq(filmA, times(leakStart, leakStart + 60, 0.5), leak, leakStart);
const matchMs = timeIt(() => matchSequences(reference, cand), 1000);
const m = matchSequences(reference, cand);
console.log(
  `match ${reference.length} reference x ${cand.length} candidate frames: ${matchMs.toFixed(2)} ms ` +
    `(matched ${m.matched}, offset ${m.offset.toFixed(2)} s for ${leakStart}, votes ${m.votes}, coverage ${m.coverage.toFixed(2)})`,
);

// ------------------------------------------------------------------ ROC

const W = 480;
const H = 270;
const attacks: Record<string, (p: Plane8) => Plane8> = {
  'quantize q8': (p) => dctQuantize(p, 8),
  'x0.5 + q6': (p) => dctQuantize(resize(p, W / 2, H / 2), 6),
  'x0.75': (p) => resize(p, 360, 203),
  'crop 10% centred': (p) => resize(crop(p, 24, 14, 432, 243), W, H),
  'crop 10% one side': (p) => crop(p, 48, 0, 432, 270),
  'crop 15% off-centre': (p) => crop(p, 48, 14, 408, 230),
  'letterbox 4:3': (p) => letterbox(p, 360, 270),
  'pillarbox 21:9': (p) => letterbox(p, 630, 270),
  'tone b+25 c0.8 g1.3': (p) => tone(p, { brightness: 25, contrast: 0.8, gamma: 1.3 }),
  'logo + subtitles': (p) => overlay(p, { logo: 0.14, subtitles: true }),
  mirror: (p) => mirror(p),
  'combo crop8%+x0.5+tone+logo+q6': (p) =>
    dctQuantize(overlay(tone(resize(crop(p, 30, 10, 442, 248), 240, 135), { gamma: 0.8, brightness: -10 }), { logo: 0.1, subtitles: true }), 6),
};
const nTitles = quick ? 6 : 14;
const shots = [0, 70, 140];
const originals: { title: number; plane: Plane8 }[] = [];
for (let i = 0; i < nTitles; i++) {
  const s = makeScene(7000 + i * 37, W, H);
  for (const t of shots) originals.push({ title: i, plane: { data: s.frame(t), width: W, height: H } });
}
const ofp = originals.map((o) => fp(o.plane));
const pos: number[] = [];
const neg: number[] = [];
console.log('\n## Frame level: distance (bits of 64) of the attacked picture to its original / to other titles\n');
console.log('| attack | same picture: median / max | other titles: min / 1st pct / median |');
console.log('| --- | --- | --- |');
for (const [name, attack] of Object.entries(attacks)) {
  const p: number[] = [];
  const n: number[] = [];
  originals.forEach((o, i) => {
    const a = fp(attack(o.plane));
    p.push(fingerprintDistance(ofp[i]!, a));
    ofp.forEach((r, j) => {
      if (originals[j]!.title !== o.title) n.push(fingerprintDistance(r, a));
    });
  });
  p.sort((a, b) => a - b);
  n.sort((a, b) => a - b);
  pos.push(...p);
  neg.push(...n);
  console.log(`| ${name} | ${p[p.length >> 1]} / ${p[p.length - 1]} | ${n[0]} / ${n[Math.floor(n.length / 100)]} / ${n[n.length >> 1]} |`);
}
console.log(`\n${pos.length} true pairs, ${neg.length} non-match pairs (${nTitles} titles x ${shots.length} shots x ${Object.keys(attacks).length} attacks)\n`);
console.log('| threshold (bits) | frame recall | frame false-match rate | precision at 1 true : 100 false pairs |');
console.log('| --- | --- | --- | --- |');
for (const T of [6, 8, 10, 12, 14, 16]) {
  const tp = pos.filter((d) => d <= T).length / pos.length;
  const fpr = neg.filter((d) => d <= T).length / neg.length;
  const prec = tp / (tp + 100 * fpr);
  console.log(`| ${T}${T === DEFAULT_FRAME_THRESHOLD ? ' (default)' : ''} | ${tp.toFixed(3)} | ${fpr.toExponential(1)} | ${prec.toFixed(3)} |`);
}

// Clip level: 20 s leaks at 1.5 fps with a random attack, from the reference (true) or from other titles (false).
const clips = quick ? 10 : 40;
const r = rng(99);
const names = Object.keys(attacks);
const clipRef = reference.slice(0, 600); // first 5 minutes of film A
const attackSmall = (name: string) => (p: Plane8): Plane8 => resize(attacks[name]!(resize(p, W, H)), SW, SH);
let tpClips = 0;
let fpClips = 0;
let offsetErr = 0;
for (let k = 0; k < clips; k++) {
  const name = names[Math.floor(r() * names.length)]!;
  const start = 10 + r() * 260;
  const c = seq(filmA, times(start, start + 20, 1 / 1.5), attackSmall(name), start);
  const mt = matchSequences(clipRef, c);
  if (mt.matched) {
    tpClips++;
    offsetErr = Math.max(offsetErr, Math.abs(mt.offset - start));
  }
  const other = makeTitle(500 + k, SW, SH, { grain: 1 });
  if (matchSequences(clipRef, seq(other, times(start, start + 20, 1 / 1.5), attackSmall(name), start)).matched) fpClips++;
}
console.log(`\n## Clip level (default rule: >= 3 votes at one offset and coverage >= 0.25)\n`);
console.log(`${clips} true clips (20 s, 1.5 fps, random attack, from a 5-minute 2 fps reference): recall ${(tpClips / clips).toFixed(3)}, worst offset error ${offsetErr.toFixed(2)} s`);
console.log(`${clips} clips of other titles, same attacks: ${fpClips} matched (precision ${(tpClips / Math.max(1, tpClips + fpClips)).toFixed(3)})`);
