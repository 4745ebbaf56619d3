/**
 * bench:watermark-phase — the version-2 sign-group phase (issue 14 item 0). One natural 720p source
 * is marked once (version 2, luma only, default strength), then cut at several frame offsets and
 * re-encoded with libx265 at 480p (crf BENCH_PHASE_CRF, 32), and each cut is read blind. A cut that
 * does not start on a 192-frame sign group boundary is the case the detector's group-phase search is
 * for; cuts at 0 are the baseline measured in the same run, and the unmarked source (from 0) is
 * read last for its detect time and as a null (no ID expected).
 *
 * Knobs: BENCH_PHASE_SECONDS (36), BENCH_PHASE_OFFSETS (frames, "0,48,96,144"), BENCH_PHASE_CRF (32),
 * BENCH_PHASE_OTHER (a directory holding another build's native/index.ts, for before/after), and
 * BENCH_PHASE_OTHER_ROLE: "reader" (default: it reads the same cuts too) or "marker" (it marks a
 * second copy, cut and read the same way by this build: an embedder change, measured on the same clips).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDetector, createEmbedder, type DetectionResult } from '../native/index.js';
import { makeNaturalSource, naturalPhotos } from './natural-source.js';

const exec = promisify(execFile);
const KEY = Buffer.from('3c9a51e07b2d4f6881a3c5e7092b4d6f8a1c3e5071b3d5f7092a4c6e8b0d2f41', 'hex');
const PAYLOAD = 0x1d2c3b4a;
const W = 1280;
const H = 720;
const FPS = 24;
const SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 36);
const OFFSETS = (process.env.BENCH_PHASE_OFFSETS ?? '0,48,96,144').split(',').map(Number);
const CRF = Number(process.env.BENCH_PHASE_CRF ?? 32);

type Detect = typeof createDetector;
type Embed = typeof createEmbedder;
const OTHER_ROLE = process.env.BENCH_PHASE_OTHER_ROLE ?? 'reader';
if (OTHER_ROLE !== 'reader' && OTHER_ROLE !== 'marker') throw new Error('BENCH_PHASE_OTHER_ROLE: reader or marker');

/** Raw 8-bit luma frames of a video, scaled to w x h. */
async function decodeGray(file: string, w: number, h: number): Promise<Uint8Array[]> {
  const { stdout } = await exec('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-vf', `scale=${w}:${h},format=gray`, '-f', 'rawvideo', '-'], {
    encoding: 'buffer', maxBuffer: 2 ** 31,
  });
  const frames: Uint8Array[] = [];
  for (let o = 0; o + w * h <= stdout.length; o += w * h) frames.push(new Uint8Array(stdout.buffer, stdout.byteOffset + o, w * h));
  return frames;
}

/** Frames from `from` on, as gray raw video into libx265 at 480p. */
async function encodeCut(frames: readonly Uint8Array[], from: number, out: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ffmpeg', [
      '-v', 'error', '-nostdin', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${W}x${H}`, '-r', String(FPS), '-i', '-',
      '-vf', 'scale=-2:480,format=yuv420p', '-c:v', 'libx265', '-preset', 'fast', '-crf', String(CRF), '-x265-params', 'log-level=error', out,
    ], { stdio: ['pipe', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
    void (async () => {
      for (const f of frames.slice(from)) if (!p.stdin.write(f)) await new Promise((r) => p.stdin.once('drain', r));
      p.stdin.end();
    })();
  });
}

function read(detect: Detect, frames: readonly Uint8Array[], w: number, h: number): { r: DetectionResult; ms: number } {
  const t0 = performance.now();
  const det = detect({ key: KEY, width: w, height: h, bitDepth: 8 });
  for (const f of frames) det.accumulate(f);
  const r = det.result();
  return { r, ms: performance.now() - t0 };
}

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-phase-'));
try {
  const src = path.join(dir, 'source.mp4');
  await makeNaturalSource(src, await naturalPhotos(), { seconds: SECONDS, width: W, height: H, fps: FPS });
  const frames = await decodeGray(src, W, H);
  const mark = (embed: Embed): Uint8Array[] => {
    const emb = embed({ key: KEY, width: W, height: H, bitDepth: 8, payload: PAYLOAD, markVersion: 2 });
    return frames.map((f) => {
      const g = new Uint8Array(f);
      emb.embed(g, W);
      return g;
    });
  };
  const readers: [string, Detect][] = [['this build', createDetector]];
  const copies: [string, Uint8Array[]][] = [['this build', mark(createEmbedder)]];
  if (process.env.BENCH_PHASE_OTHER) {
    const other = (await import(path.resolve(process.env.BENCH_PHASE_OTHER, 'native/index.ts'))) as { createDetector: Detect; createEmbedder: Embed };
    if (OTHER_ROLE === 'reader') readers.push(['other build', other.createDetector]);
    else copies.push(['other build', mark(other.createEmbedder)]);
  }
  console.log(`| offset | marker | reader | exact ID | pilotZ | dataZ | sign phase | detect s |\n| --- | --- | --- | --- | --- | --- | --- | --- |`);
  const tally = new Map<string, { exact: number; cuts: number; reader: string }>();
  const nullFound = new Map<string, boolean>();
  // the unmarked source from frame 0 last: a null read (its detect time is what every unmarked clip pays)
  for (const [off, marker, copy] of [...OFFSETS.flatMap((o) => copies.map(([m, c]) => [o, m, c] as const)), [-1, '-', frames] as const]) {
    const cut = path.join(dir, `cut${off}.mp4`);
    await encodeCut(copy, Math.max(0, off), cut);
    const probe = await decodeGray(cut, Math.round((480 * W) / H / 2) * 2, 480);
    for (const [reader, detect] of readers) {
      const name = OTHER_ROLE === 'marker' && off >= 0 ? `marked by ${marker}` : reader;
      const { r, ms } = read(detect, probe, Math.round((480 * W) / H / 2) * 2, 480);
      const exact = r.found && r.payload === PAYLOAD;
      if (off < 0) nullFound.set(reader, r.found);
      else {
        const t = tally.get(name) ?? { exact: 0, cuts: 0, reader };
        t.cuts++;
        if (exact) t.exact++;
        tally.set(name, t);
      }
      console.log(`| ${off < 0 ? 'unmarked' : off} | ${marker} | ${reader} | ${exact ? 'yes' : r.found ? 'WRONG' : 'no'} | ${r.pilotZ.toFixed(1)} | ${r.dataZ.toFixed(1)} | ${r.signPhase ?? '-'} | ${(ms / 1000).toFixed(1)} |`);
    }
  }
  console.log('\n| reader / copy | cuts read (exact ID) | goal | result | unmarked: no ID |\n| --- | --- | --- | --- | --- |');
  const base = tally.get('other build') ?? tally.get('marked by other build');
  const mine = base && tally.has('marked by other build') ? 'marked by this build' : 'this build';
  for (const [name, t] of tally) {
    const goal = name === mine && base ? `all, and ≥ other build (${base.exact})` : 'all';
    const met = t.exact === t.cuts && (name !== mine || !base || t.exact >= base.exact);
    console.log(`| ${name} | ${t.exact}/${t.cuts} | ${goal} | ${met ? 'met' : 'MISSED'} | ${nullFound.get(t.reader) ? 'MISSED (found)' : 'met'} |`);
  }
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
