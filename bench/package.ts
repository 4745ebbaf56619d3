/**
 * npm run bench:package — `vigil package` against a plain ffmpeg HLS transcode of the same input
 * in the same run (same x264 settings, fixed GOPs, one rendition), and the time to read a re-stream
 * back to its watermark ID (a session copy cut 3 s in, re-encoded at 720p and 1.5 Mb/s), against a
 * plain ffmpeg decode of the same recording in the same run (issue 13: "a re-stream is identified
 * from at most 5 minutes of recording at 720p"), and the shortest recording that still gives the ID
 * (a search over --max-seconds, in segment steps; BENCH_MIN_SEARCH=0 skips it).
 * CPU is bounded for a shared machine: the plain decode uses BENCH_DECODE_THREADS (default 2).
 *
 * Size by environment: BENCH_SOURCE_SECONDS=60 (300 gives the issue's 5-minute recording)
 * BENCH_WIDTH=1280 BENCH_HEIGHT=720 BENCH_FPS=25 BENCH_SEGMENT_SECONDS=4 BENCH_PRESET=veryfast.
 * A recording needs 48 marked segments: BENCH_SOURCE_SECONDS ≥ 48 × BENCH_SEGMENT_SECONDS + 4 for an ID.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { patternFor, variantAt } from '../core/ab-pattern.js';
import type { Preset } from '../runners/media/codecs.js';
import { probeMedia } from '../runners/media/probe.js';
import { detectRestream } from '../runners/package/detect-restream.js';
import { packageTitle, variantEncoderArgs } from '../runners/package/package.js';

const exec = promisify(execFile);
const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const SECONDS = env('BENCH_SOURCE_SECONDS', 60);
const W = env('BENCH_WIDTH', 1280);
const H = env('BENCH_HEIGHT', 720);
const FPS = env('BENCH_FPS', 25);
const SEGMENT = env('BENCH_SEGMENT_SECONDS', 4);
const PRESET = (process.env.BENCH_PRESET ?? 'veryfast') as Preset;
const ID = 0x5eed1234;
const DECODE_THREADS = env('BENCH_DECODE_THREADS', 2);
const MIN_SEARCH = env('BENCH_MIN_SEARCH', 1) !== 0;

const ffmpeg = (args: string[]): Promise<unknown> => exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { maxBuffer: 1 << 26 });
const timed = async (work: () => Promise<unknown>): Promise<number> => { const t = Date.now(); await work(); return (Date.now() - t) / 1000; };

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-bench-package-'));
try {
  const source = path.join(dir, 'source.mp4');
  console.log(`source: ${SECONDS} s ${W}x${H} ${FPS} fps (mandelbrot + grain), segments ${SEGMENT} s, x264 ${PRESET}, ${os.availableParallelism()} cores`);
  await ffmpeg(['-f', 'lavfi', '-i', `mandelbrot=s=${W}x${H}:r=${FPS}:maxiter=100,noise=alls=10:allf=t,format=yuv420p`, '-f', 'lavfi', '-i', `sine=f=440:r=48000:d=${SECONDS}`,
    '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '6M', '-c:a', 'aac', source]);
  const info = await probeMedia(source);
  const video = info.video!;
  const keyint = Math.round(SEGMENT * FPS);
  const plainDir = path.join(dir, 'plain');
  await fs.mkdir(plainDir);
  const plain = await timed(() => ffmpeg(['-i', source, '-map', '0:v:0', '-map', '0:a:0', ...variantEncoderArgs(video, info, keyint, SEGMENT, PRESET),
    '-hls_segment_filename', path.join(plainDir, 'seg_%05d.m4s'), path.join(plainDir, 'index.m3u8')]));
  const out = path.join(dir, 'pkg');
  const key = Buffer.alloc(32, 0x42);
  const packaged = await timed(() => packageTitle({ input: source, out, key: { id: '0123456789abcdef', fingerprint: '0'.repeat(64), key }, segmentSeconds: SEGMENT, preset: PRESET }));

  const manifest = JSON.parse(await fs.readFile(path.join(out, 'vigil-package.json'), 'utf8')) as { init: string; segments: { uri: string; position: number }[] };
  const pattern = patternFor(ID);
  const parts = [await fs.readFile(path.join(out, manifest.init))];
  for (const s of manifest.segments) parts.push(await fs.readFile(path.join(out, s.position >= 0 && variantAt(pattern, s.position) === 1 ? 'B' : 'A', s.uri)));
  const session = path.join(dir, 'session.mp4');
  await fs.writeFile(session, Buffer.concat(parts));
  const leak = path.join(dir, 'leak.mp4');
  await ffmpeg(['-ss', '3', '-i', session, '-vf', 'scale=1280:720', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1500k', '-c:a', 'aac', leak]);
  const t = Date.now();
  const r = await detectRestream({ packageDir: out, recording: leak });
  const detectS = (Date.now() - t) / 1000;
  const zs = r.segments.map((s) => Math.abs(s.z)).sort((a, b) => a - b);
  // The baseline: decoding the same recording and nothing else (what any reading of it costs at least).
  const decodeS = await timed(() => ffmpeg(['-threads', String(DECODE_THREADS), '-i', leak, '-map', '0:v:0', '-f', 'null', '-']));
  // The shortest span of the recording (from its start) that still decodes to the right ID: a binary
  // search in whole segments between nothing and what the full read used.
  let shortest: { seconds: number; readS: number } | undefined;
  if (MIN_SEARCH && r.found && r.watermarkId === ID) {
    let lo = 0;
    let hi = Math.ceil(r.secondsAnalysed / SEGMENT);
    shortest = { seconds: r.secondsAnalysed, readS: detectS };
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const at = Date.now();
      const tryR = await detectRestream({ packageDir: out, recording: leak, maxSeconds: mid * SEGMENT });
      if (tryR.found && tryR.watermarkId === ID) { hi = mid; shortest = { seconds: mid * SEGMENT, readS: (Date.now() - at) / 1000 }; } else lo = mid;
    }
  }

  console.log('\n| measure | value |\n| --- | --- |');
  console.log(`| plain ffmpeg HLS transcode (1 rendition) | ${plain.toFixed(1)} s (${(SECONDS / plain).toFixed(2)}x real time) |`);
  console.log(`| vigil package (A + B, one decode) | ${packaged.toFixed(1)} s (${(SECONDS / packaged).toFixed(2)}x real time) |`);
  console.log(`| package ÷ plain | ${(packaged / plain).toFixed(2)} (two encodes to one; the machine's load varies between the two timings) |`);
  console.log(`| re-stream read (${r.secondsAnalysed.toFixed(0)} s of 720p recording) | ${detectS.toFixed(1)} s; ${r.found ? `ID ${r.watermarkId}${r.watermarkId === ID ? ' (right)' : ' (WRONG)'}` : `nothing: ${r.reason}`} |`);
  console.log(`| segments read, |z| min / median | ${r.segments.length}, ${zs[0]?.toFixed(1) ?? '-'} / ${zs[zs.length >> 1]?.toFixed(1) ?? '-'} |`);
  console.log(`| plain ffmpeg decode of the same recording (-threads ${DECODE_THREADS}) | ${decodeS.toFixed(1)} s |`);
  console.log(`| re-stream read ÷ plain decode | ${(detectS / decodeS).toFixed(2)} |`);
  if (shortest) console.log(`| shortest recording that still gives the right ID | ${shortest.seconds} s (read in ${shortest.readS.toFixed(1)} s) |`);
  console.log(`| goal: identified from at most 300 s of 720p | ${r.found && r.watermarkId === ID && r.secondsAnalysed <= 300.5 ? 'met' : 'MISSED'} (${r.secondsAnalysed.toFixed(0)} s read${shortest ? `; ${shortest.seconds} s suffice` : ''}) |`);
  console.log(`| load average (1, 5, 15 min) at the end | ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} |`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
