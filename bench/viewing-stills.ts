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

/** original | marked | (marked - original) x GAIN + 128, each cropped to `win`, GAP px of black between. */
export function sideBySide(original: Uint8Array, marked: Uint8Array, width: number, win: Window): { data: Uint8Array; width: number; height: number } {
  const W = 3 * win.w + 2 * GAP;
  const out = new Uint8Array(W * win.h);
  for (let y = 0; y < win.h; y++) {
    for (let x = 0; x < win.w; x++) {
      const i = (win.y + y) * width + win.x + x;
      const o = y * W + x;
      out[o] = original[i]!;
      out[o + win.w + GAP] = marked[i]!;
      out[o + 2 * (win.w + GAP)] = Math.max(0, Math.min(255, 128 + GAIN * (marked[i]! - original[i]!)));
    }
  }
  return { data: out, width: W, height: win.h };
}

async function writePng(file: string, img: { data: Uint8Array; width: number; height: number }): Promise<void> {
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
