/**
 * Kernel benchmark (one core: all calls are synchronous on the main thread).
 *   node --import tsx native/bench/kernel.ts
 */
import { createDetector, createEmbedder, version } from '../index.js';
import { makeScene, psnr, ssim } from './synth.js';

const key = Buffer.alloc(32, 0x5a);
const rows: [string, string][] = [];

function timeIt(n: number, fn: (i: number) => void): number {
  fn(0); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const W = 1920,
  H = 1080;
const scene = makeScene(11, W, H);
const src = [scene.frame(0), scene.frame(10)];

// embed 8-bit
{
  const emb = createEmbedder({ key, width: W, height: H, bitDepth: 8, payload: 123456789 });
  const bufs = src.map((f) => new Uint8Array(f));
  const n = 300;
  const s = timeIt(n, (i) => emb.embed(bufs[i % 2]!));
  rows.push(['embed 1080p 8-bit', `${(n / s).toFixed(0)} frames/s`]);
}
// embed 10-bit
{
  const emb = createEmbedder({ key, width: W, height: H, bitDepth: 10, payload: 123456789 });
  const bufs = src.map((f) => Uint16Array.from(f, (v) => v * 4));
  const n = 300;
  const s = timeIt(n, (i) => emb.embed(bufs[i % 2]!));
  rows.push(['embed 1080p 10-bit', `${(n / s).toFixed(0)} frames/s`]);
}
// quality on untouched frames
{
  const emb = createEmbedder({ key, width: W, height: H, bitDepth: 8, payload: 123456789 });
  let p = 0,
    q = 0;
  for (const f of src) {
    const g = new Uint8Array(f);
    emb.embed(g);
    p += psnr(f, g) / src.length;
    q += ssim(f, g, W, H) / src.length;
  }
  rows.push(['PSNR luma (1080p, default strength)', `${p.toFixed(2)} dB`]);
  rows.push(['SSIM luma (1080p, 8x8 windows)', q.toFixed(4)]);
}
// detector accumulate
for (const [w, h] of [
  [854, 480],
  [1920, 1080],
] as const) {
  const sc = makeScene(12, w, h);
  const frames = [sc.frame(0), sc.frame(5)];
  const det = createDetector({ key, width: w, height: h, bitDepth: 8 });
  const n = w > 1000 ? 200 : 600;
  const s = timeIt(n, (i) => det.accumulate(frames[i % 2]!));
  rows.push([`detect accumulate ${h}p 8-bit`, `${(n / s).toFixed(0)} frames/s`]);
  const t0 = process.hrtime.bigint();
  const r = det.result();
  rows.push([`detect result() ${h}p (${r.hypotheses} hypotheses)`, `${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`]);
}

console.log(version());
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`| ${'measure'.padEnd(width)} | value |`);
console.log(`| ${'-'.repeat(width)} | ----- |`);
for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
