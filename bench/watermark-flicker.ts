/**
 * bench:watermark-flicker — the version-2 sign flip as a viewer sees it (issue 14 item 5). Three
 * scenes (a panned natural photograph; the flattest of its frames, held still; that frame darkened,
 * a night scene) are marked (v2, default strength) from frame 0 past the first sign-group boundary,
 * which always flips (groups come in pairs). Per scene: the mark's frame-to-frame change (marked
 * less original, differenced) at the flip and away from it, RMS and 99th percentile of |Δ| on the
 * flat and dark parts, before and after an H.264 crf 23 encode of both the marked and the original
 * frames, next to the content's own frame-to-frame change there. PNGs under BENCH_OUT: the two
 * frames of the largest step at the flip side by side at 4x zoom, and their difference x16.
 * The mark alone's luma PSNR / SSIM over the natural scene is printed too (the ramp's frames carry
 * less mark, so it can only rise).
 *
 * Knobs: BENCH_FLICKER_OTHER (a directory holding another build's native/index.ts, e.g. one with
 * hard flips: marked and measured the same way, the baseline), BENCH_OUT (.vigil/bench/flicker).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmbedder, signTiming } from '../native/index.js';
import { psnr, ssim } from '../native/bench/synth.js';
import { makeNaturalSource, naturalPhotos } from './natural-source.js';
import { changeStats, flatDarkPixels, flattestFrame, flattestWindow, markStep, sideBySide, windowPixels, writePng, type Window } from './viewing-stills.js';

const KEY = Buffer.from('3c9a51e07b2d4f6881a3c5e7092b4d6f8a1c3e5071b3d5f7092a4c6e8b0d2f41', 'hex');
const PAYLOAD = 0x1d2c3b4a;
const W = 1280;
const H = 720;
const FPS = 24;
const OUT_DIR = path.resolve(process.env.BENCH_OUT ?? '.vigil/bench/flicker');
const { groupFrames: FLIP, rampFrames: RAMP } = signTiming();
const FRAMES = FLIP + 48;
// Encoded from here: away (frames FLIP-60..FLIP-30) and the flip (its ramp and a frame each side).
const ENC_FROM = FLIP - 72;
const AWAY: [number, number] = [FLIP - 60, FLIP - 30];
const AT_FLIP: [number, number] = [FLIP - RAMP / 2 - 1, FLIP + RAMP / 2 + 1];
const GOAL_RMS = 1;

type Embed = typeof createEmbedder;
interface Stats { rms: number; p99: number }
interface Scene { name: string; frames: Uint8Array[]; region: Uint32Array; win: Window }

async function ffmpeg(args: string[], input?: readonly Uint8Array[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exited ${code}`))));
    void (async () => {
      for (const f of input ?? []) if (!p.stdin.write(f)) await new Promise((r) => p.stdin.once('drain', r));
      p.stdin.end();
    })();
  });
}

function split(buf: Buffer): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let o = 0; o + W * H <= buf.length; o += W * H) frames.push(new Uint8Array(buf.buffer, buf.byteOffset + o, W * H));
  return frames;
}

/** Frames ENC_FROM.. through libx264 crf 23 (4:2:0) and back to luma; indexed as the input. */
async function roundTrip(frames: readonly Uint8Array[], dir: string, name: string): Promise<Uint8Array[]> {
  const file = path.join(dir, `${name}.mp4`);
  await ffmpeg(['-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${W}x${H}`, '-r', String(FPS), '-i', '-', '-vf', 'format=yuv420p',
    '-c:v', 'libx264', '-preset', 'medium', '-crf', '23', file], frames.slice(ENC_FROM));
  const decoded = split(await ffmpeg(['-i', file, '-vf', 'format=gray', '-f', 'rawvideo', '-']));
  return [...new Array<Uint8Array>(ENC_FROM).fill(new Uint8Array(0)), ...decoded];
}

function mark(embed: Embed, frames: readonly Uint8Array[]): Uint8Array[] {
  const e = embed({ key: KEY, width: W, height: H, bitDepth: 8, payload: PAYLOAD, markVersion: 2 });
  return frames.map((f) => {
    const g = new Uint8Array(f);
    e.embed(g, W);
    return g;
  });
}

/** The largest step over transitions into frames [from, to]: RMS and p99 each at its worst, and the frame of the worst RMS. */
function worstStep(orig: readonly Uint8Array[], marked: readonly Uint8Array[], region: Uint32Array, [from, to]: [number, number]): Stats & { at: number } {
  let worst = { rms: 0, p99: 0, at: from };
  for (let f = from; f <= to; f++) {
    const s = changeStats(markStep(orig, marked, f), region);
    worst = { rms: Math.max(worst.rms, s.rms), p99: Math.max(worst.p99, s.p99), at: s.rms > worst.rms ? f : worst.at };
  }
  return worst;
}

function contentStep(orig: readonly Uint8Array[], region: Uint32Array, f: number): Stats {
  return changeStats(Int16Array.from(orig[f]!, (v, i) => v - orig[f - 1]![i]!), region);
}

function markAlone(orig: readonly Uint8Array[], marked: readonly Uint8Array[]): { psnr: number; ssim: number } {
  let mse = 0;
  let s = 0;
  for (let f = 0; f < orig.length; f++) {
    mse += 255 ** 2 / 10 ** (psnr(marked[f]!, orig[f]!) / 10) / orig.length;
    if (f % 8 === 0 || (f >= AT_FLIP[0] && f <= AT_FLIP[1])) s += ssim(marked[f]!, orig[f]!, W, H);
  }
  const ssimFrames = orig.filter((_, f) => f % 8 === 0 || (f >= AT_FLIP[0] && f <= AT_FLIP[1])).length;
  return { psnr: 10 * Math.log10(255 ** 2 / mse), ssim: s / ssimFrames };
}

const fmt = (s: Stats): string => `${s.rms.toFixed(2)} / ${s.p99.toFixed(0)}`;
const loadAtStart = os.loadavg();
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-flicker-'));
try {
  await fs.mkdir(OUT_DIR, { recursive: true });
  const src = path.join(dir, 'source.mp4');
  // two shots of 5 s: the flip falls in the second, 72 frames after its cut
  await makeNaturalSource(src, (await naturalPhotos()).slice(0, 2), { seconds: FRAMES / FPS, width: W, height: H, fps: FPS });
  const natural = split(await ffmpeg(['-i', src, '-vf', 'format=gray', '-f', 'rawvideo', '-'])).slice(0, FRAMES);
  const flat = new Uint8Array(flattestFrame(Buffer.concat(natural), W, H, FPS));
  const dark = flat.map((v) => Math.round(v * 0.2 + 8));
  const win = flattestWindow(flat, W, H, Math.round(W / 6), Math.round(H / 6));
  const still = (p: Uint8Array): Uint8Array[] => new Array<Uint8Array>(FRAMES).fill(p);
  const scenes: Scene[] = [
    { name: 'natural', frames: natural, region: flatDarkPixels(natural[FLIP]!, W, H), win: flattestWindow(natural[FLIP]!, W, H, win.w, win.h) },
    { name: 'flat', frames: still(flat), region: windowPixels(win, W), win },
    { name: 'dark', frames: still(dark), region: windowPixels({ x: 0, y: 0, w: W, h: H }, W), win: { ...win, x: Math.round(W * 0.4), y: Math.round(H * 0.4) } },
  ];
  const builds: [string, Embed][] = [['this build', createEmbedder]];
  if (process.env.BENCH_FLICKER_OTHER) {
    const other = (await import(path.resolve(process.env.BENCH_FLICKER_OTHER, 'native/index.ts'))) as { createEmbedder: Embed };
    builds.push(['other build', other.createEmbedder]);
  }
  console.log(`sign flip at frame ${FLIP}; this build's ramp: ${RAMP} frames; "at flip" = worst transition into frames ${AT_FLIP[0]}..${AT_FLIP[1]}, "away" = worst into ${AWAY[0]}..${AWAY[1]}`);
  console.log('\n| scene (pixels) | build | mark Δ at flip, RMS / p99 | away | after crf 23: at flip | away | content Δ at flip, raw | after crf 23 | still |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  // after the encode, two encodes' own differences add to the step (the away figure): what the
  // flip adds above them is sqrt(flip^2 - away^2)
  const results: { scene: string; build: string; raw: Stats; enc: Stats; encAway: Stats }[] = [];
  const quality: { build: string; psnr: number; ssim: number }[] = [];
  for (const sc of scenes) {
    const encOrig = await roundTrip(sc.frames, dir, `${sc.name}-orig`);
    for (const [build, embed] of builds) {
      const marked = mark(embed, sc.frames);
      if (sc.name === 'natural') quality.push({ build, ...markAlone(sc.frames, marked) });
      const encMarked = await roundTrip(marked, dir, `${sc.name}-${build.replace(' ', '-')}`);
      const raw = worstStep(sc.frames, marked, sc.region, AT_FLIP);
      const enc = worstStep(encOrig, encMarked, sc.region, AT_FLIP);
      const png = path.join(OUT_DIR, `${sc.name}-flip-${build.replace(' ', '-')}.png`);
      await writePng(png, sideBySide(marked[raw.at - 1]!, marked[raw.at]!, W, sc.win));
      await writePng(png.replace('.png', '-crf23.png'), sideBySide(encMarked[enc.at - 1]!, encMarked[enc.at]!, W, sc.win));
      const encAway = worstStep(encOrig, encMarked, sc.region, AWAY);
      results.push({ scene: sc.name, build, raw, enc, encAway });
      console.log(`| ${sc.name} (${sc.region.length}) | ${build} | ${fmt(raw)} | ${fmt(worstStep(sc.frames, marked, sc.region, AWAY))} | ${fmt(enc)} | ` +
        `${fmt(encAway)} | ${fmt(contentStep(sc.frames, sc.region, FLIP))} | ${fmt(contentStep(encOrig, sc.region, FLIP))} | ${path.basename(png)} (frames ${raw.at - 1}, ${raw.at}) |`);
    }
  }
  console.log('\n| measure | this build | other build | ratio | goal | result |\n| --- | --- | --- | --- | --- | --- |');
  for (const sc of scenes) {
    const step = (build: string, encoded: boolean): number | undefined => {
      const r = results.find((x) => x.scene === sc.name && x.build === build);
      if (!r) return undefined;
      return encoded ? Math.sqrt(Math.max(0, r.enc.rms ** 2 - r.encAway.rms ** 2)) : r.raw.rms;
    };
    for (const encoded of [false, true]) {
      const mine = step('this build', encoded)!;
      const base = step('other build', encoded);
      console.log(`| ${sc.name}: mark Δ RMS at flip${encoded ? ', after crf 23, above the encodes\' own (√(flip² − away²))' : ''} | ${mine.toFixed(2)} | ` +
        `${base !== undefined ? base.toFixed(2) : '-'} | ${base ? (mine / base).toFixed(2) : '-'} | ≤ ${GOAL_RMS} level | ${mine <= GOAL_RMS ? 'met' : 'MISSED'} |`);
    }
  }
  const mq = quality.find((q) => q.build === 'this build')!;
  const oq = quality.find((q) => q.build === 'other build');
  console.log(`| natural: mark-alone luma PSNR / SSIM (${FRAMES} frames; SSIM every 8th and the ramp's) | ${mq.psnr.toFixed(2)} dB / ${mq.ssim.toFixed(4)} | ` +
    `${oq ? `${oq.psnr.toFixed(2)} dB / ${oq.ssim.toFixed(4)}` : '-'} | ${oq ? (mq.psnr - oq.psnr).toFixed(2) + ' dB' : '-'} | ≥ 42 dB / ≥ 0.99 | ${mq.psnr >= 42 && mq.ssim >= 0.99 ? 'met' : 'MISSED'} |`);
  console.log(`\nstills under ${OUT_DIR}; load average ${loadAtStart.map((x) => x.toFixed(2)).join(' ')} at start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at end`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
