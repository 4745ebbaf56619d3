/**
 * Issue 14 item 5's viewing check: side-by-side stills at 4x zoom (original | marked | difference
 * x16 around mid-grey) of a flat and a dark part of the picture, written as PNGs for a person to
 * look at. Tiling would show as a grid in the middle panel; the difference panel shows where the
 * mask put the mark.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createEmbedder } from '../native/index.js';

const exec = promisify(execFile);
const ZOOM = 4;
const GAIN = 16;
const GAP = 4;

export interface Window { x: number; y: number; w: number; h: number }

/** The w x h window (on a 8-px grid) of `plane` with the least mean |dx|+|dy|: the flattest part. */
export function flattestWindow(plane: Uint8Array, width: number, height: number, w: number, h: number): Window {
  let best: Window = { x: 0, y: 0, w, h };
  let bestT = Infinity;
  for (let y = 0; y + h < height; y += 8) {
    for (let x = 0; x + w < width; x += 8) {
      let t = 0;
      for (let yy = y; yy < y + h; yy += 2) {
        for (let xx = x; xx < x + w; xx += 2) {
          const i = yy * width + xx;
          t += Math.abs(plane[i]! - plane[i + 1]!) + Math.abs(plane[i]! - plane[i + width]!);
        }
      }
      if (t < bestT) { bestT = t; best = { x, y, w, h }; }
    }
  }
  return best;
}

/** Of every `step`-th frame of a raw luma buffer, the one with the least texture (mean |dx|). */
export function flattestFrame(raw: Uint8Array, width: number, height: number, step: number): Uint8Array {
  const size = width * height;
  let best = raw.subarray(0, size);
  let bestT = Infinity;
  for (let f = 0; (f + 1) * size <= raw.length; f += step) {
    const p = raw.subarray(f * size, (f + 1) * size);
    let t = 0;
    for (let i = 0; i + 1 < size; i += 3) t += Math.abs(p[i]! - p[i + 1]!);
    if (t < bestT) { bestT = t; best = p; }
  }
  return best;
}

/**
 * a | b | (b - a) x GAIN + 128, each cropped to `win`, GAP px of black between: original | marked,
 * or a marked frame | the next one (a sign flip's still).
 */
export function sideBySide(a: Uint8Array, b: Uint8Array, width: number, win: Window): { data: Uint8Array; width: number; height: number } {
  const W = 3 * win.w + 2 * GAP;
  const out = new Uint8Array(W * win.h);
  for (let y = 0; y < win.h; y++) {
    for (let x = 0; x < win.w; x++) {
      const i = (win.y + y) * width + win.x + x;
      const o = y * W + x;
      out[o] = a[i]!;
      out[o + win.w + GAP] = b[i]!;
      out[o + 2 * (win.w + GAP)] = Math.max(0, Math.min(255, 128 + GAIN * (b[i]! - a[i]!)));
    }
  }
  return { data: out, width: W, height: win.h };
}

export async function writePng(file: string, img: { data: Uint8Array; width: number; height: number }): Promise<void> {
  const raw = `${file}.gray`;
  await fs.writeFile(raw, img.data);
  await exec('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'gray', '-video_size', `${img.width}x${img.height}`, '-i', raw,
    '-vf', `scale=iw*${ZOOM}:ih*${ZOOM}:flags=neighbor`, '-frames:v', '1', file]);
  await fs.rm(raw);
}

/**
 * Marks `frame` (and a darkened copy of it: levels x0.2 + 8, a night scene) with the product's
 * embedder and writes flat.png and dark.png under `outDir`; returns their paths.
 */
export async function writeViewingStills(outDir: string, frame: Uint8Array, width: number, height: number, key: Buffer, payload: number): Promise<string[]> {
  await fs.mkdir(outDir, { recursive: true });
  const win = flattestWindow(frame, width, height, Math.round(width / 6), Math.round(height / 6));
  const dark = frame.map((v) => Math.round(v * 0.2 + 8));
  const files: string[] = [];
  for (const [name, plane, w] of [['flat', frame, win], ['dark', dark, { x: Math.round(width * 0.4), y: Math.round(height * 0.4), w: win.w, h: win.h }]] as const) {
    const marked = new Uint8Array(plane);
    createEmbedder({ key, width, height, bitDepth: 8, payload }).embed(marked);
    const file = path.join(outDir, `${name}.png`);
    await writePng(file, sideBySide(plane, marked, width, w));
    files.push(file);
  }
  return files;
}

/** The pixels of `win`, as indices into a plane of `width`: a region for changeStats. */
export function windowPixels(win: Window, width: number): Uint32Array {
  const out = new Uint32Array(win.w * win.h);
  for (let y = 0; y < win.h; y++) for (let x = 0; x < win.w; x++) out[y * win.w + x] = (win.y + y) * width + win.x + x;
  return out;
}

/**
 * The pixels of the 16x16 blocks of `plane` a flicker shows on: the quarter with the least mean
 * |dx|+|dy| (grain sets what "flat" is, so a fixed threshold would not do) and every block of
 * mean level under 48 (where the embedder's own mask starts to weaken the mark).
 */
export function flatDarkPixels(plane: Uint8Array, width: number, height: number): Uint32Array {
  const B = 16;
  const blocks: { i: number; tex: number; mean: number }[] = [];
  for (let by = 0; by + B < height; by += B) {
    for (let bx = 0; bx + B < width; bx += B) {
      let t = 0;
      let m = 0;
      for (let y = by; y < by + B; y++) {
        for (let x = bx; x < bx + B; x++) {
          const i = y * width + x;
          t += Math.abs(plane[i]! - plane[i + 1]!) + Math.abs(plane[i]! - plane[i + width]!);
          m += plane[i]!;
        }
      }
      blocks.push({ i: by * width + bx, tex: t / (B * B), mean: m / (B * B) });
    }
  }
  const texCut = blocks.map((b) => b.tex).sort((p, q) => p - q)[Math.floor(blocks.length / 4)]!;
  const out: number[] = [];
  for (const b of blocks) {
    if (b.tex > texCut && b.mean >= 48) continue;
    for (let y = 0; y < B; y++) for (let x = 0; x < B; x++) out.push(b.i + y * width + x);
  }
  return Uint32Array.from(out);
}

/** RMS and 99th percentile of |d| over `region`, in levels. */
export function changeStats(d: ArrayLike<number>, region: Uint32Array): { rms: number; p99: number } {
  const a = new Float64Array(region.length);
  let ss = 0;
  for (let k = 0; k < region.length; k++) {
    const v = Math.abs(d[region[k]!]!);
    a[k] = v;
    ss += v * v;
  }
  a.sort();
  return { rms: Math.sqrt(ss / Math.max(1, region.length)), p99: a[Math.min(a.length - 1, Math.floor(0.99 * a.length))] ?? 0 };
}

/** The mark's change from frame f - 1 to f: (marked - original) at f less the same at f - 1. */
export function markStep(orig: readonly Uint8Array[], marked: readonly Uint8Array[], f: number): Int16Array {
  const out = new Int16Array(orig[f]!.length);
  const a = orig[f - 1]!, b = orig[f]!, ma = marked[f - 1]!, mb = marked[f]!;
  for (let i = 0; i < out.length; i++) out[i] = mb[i]! - b[i]! - (ma[i]! - a[i]!);
  return out;
}
