/**
 * Real re-encode check: synthetic 720p video -> embed -> ffmpeg (raw gray
 * pipe) -> attack (scale/crop, x264/x265 at low bitrate) -> decode back to raw
 * gray -> blind detector. Usage:
 *   node --import tsx native/bench/ffmpeg-check.ts [frames=250] [strength]
 */
import { spawn } from 'node:child_process';
import { createEmbedder, createDetector, type DetectionResult } from '../index.js';
import { makeScene } from './synth.js';

const N = Number(process.argv[2] ?? 250);
const strength = process.argv[3] ? Number(process.argv[3]) : undefined;
const key = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
const SW = 1280,
  SH = 720;
const payload = 0x5eed1234;

function run(args: string[], input: Buffer | null): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg exit ${code}`))));
    if (input) p.stdin.end(input);
    else p.stdin.end();
  });
}

async function main(): Promise<void> {
  const scene = makeScene(42, SW, SH, { pan: 0.01 });
  const emb = createEmbedder({ key, width: SW, height: SH, bitDepth: 8, payload, ...(strength ? { strength } : {}) });
  const raw = Buffer.alloc(SW * SH * N);
  const t0 = Date.now();
  for (let t = 0; t < N; t++) {
    const f = scene.frame(t);
    emb.embed(f);
    raw.set(f, t * SW * SH);
  }
  console.log(`generated+embedded ${N} frames ${SW}x${SH} in ${Date.now() - t0} ms`);
  const cases: { name: string; vf: string; codec: string[]; w: number; h: number }[] = [
    { name: 'h264 480p 1M', vf: 'scale=854:480', codec: ['-c:v', 'libx264', '-b:v', '1M', '-preset', 'veryfast'], w: 854, h: 480 },
    { name: 'h264 360p 500k', vf: 'scale=640:360', codec: ['-c:v', 'libx264', '-b:v', '500k', '-preset', 'veryfast'], w: 640, h: 360 },
    { name: 'h265 480p 1M', vf: 'scale=854:480', codec: ['-c:v', 'libx265', '-b:v', '1M', '-preset', 'ultrafast', '-x265-params', 'log-level=error'], w: 854, h: 480 },
    { name: 'crop20%+h264 480p 1M', vf: 'crop=iw*0.8:ih*0.8:iw*0.13:ih*0.07,scale=854:480', codec: ['-c:v', 'libx264', '-b:v', '1M', '-preset', 'veryfast'], w: 854, h: 480 },
    { name: 'letterbox 4:3+h264 1M', vf: 'scale=640:360,pad=640:480:0:60', codec: ['-c:v', 'libx264', '-b:v', '1M', '-preset', 'veryfast'], w: 640, h: 480 },
    { name: 'fps 25->24 + h264 480p 1M', vf: 'fps=24,scale=854:480', codec: ['-c:v', 'libx264', '-b:v', '1M', '-preset', 'veryfast'], w: 854, h: 480 },
  ];
  const only = process.env.CASES ? process.env.CASES.split(',').map(Number) : null;
  for (const [i, c] of cases.entries()) {
    if (only && !only.includes(i)) continue;
    const t1 = Date.now();
    const enc = await run(
      ['-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${SW}x${SH}`, '-r', '25', '-i', '-', '-vf', c.vf, ...c.codec, '-pix_fmt', 'yuv420p', '-f', 'matroska', '-'],
      raw,
    );
    const dec = await run(['-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], enc);
    const fs = c.w * c.h;
    const frames = Math.floor(dec.length / fs);
    const det = createDetector({ key, width: c.w, height: c.h, bitDepth: 8 });
    const wrong = createDetector({ key: Buffer.alloc(32, 1), width: c.w, height: c.h, bitDepth: 8 });
    for (let t = 0; t < frames; t++) {
      const f = new Uint8Array(dec.buffer, dec.byteOffset + t * fs, fs);
      det.accumulate(f);
      wrong.accumulate(f);
    }
    const r: DetectionResult = det.result();
    const rw = wrong.result();
    const ok = r.found && r.payload === payload;
    console.log(
      `${c.name.padEnd(28)} kbps=${((enc.length * 8) / (N / 25) / 1000).toFixed(0).padStart(5)} frames=${frames} ` +
        `${ok ? 'OK ' : 'FAIL'} found=${r.found} payload=${r.payload?.toString(16)} pilotZ=${r.pilotZ.toFixed(1)} dataZ=${r.dataZ.toFixed(1)} ` +
        `marked=${r.framesWithMark} pfa=${r.falseAlarmProbability.toExponential(1)} period=${r.periodX.toFixed(1)}x${r.periodY.toFixed(1)} | wrongKey found=${rw.found} ` +
        `(${Date.now() - t1} ms)`,
    );
  }
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
