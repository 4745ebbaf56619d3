/**
 * npm run bench:watermark-null — false and wrong IDs over many null trials through the blind
 * detector's real decision path (search, Viterbi, MAC), in the C++ harness native/bench/false_alarm.cc
 * on every core: natural footage (bench/natural-source.ts at 854x480, the detector's input size for a
 * 480p leak), 48-frame windows from random starts, half unmarked with a random key, half marked with
 * one random key (random ID) and read with another.
 *   BENCH_NULL_TRIALS=10000 BENCH_NULL_SECONDS=3000 (no trial starts after that; the table says how
 *   many ran) BENCH_NULL_THREADS=<cores> CXX=g++
 * Exits 1 when an ID was found or fewer trials ran than asked.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeNaturalSource, naturalPhotos } from './natural-source.js';

const exec = promisify(execFile);
const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const TRIALS = env('BENCH_NULL_TRIALS', 10_000);
const SECONDS = env('BENCH_NULL_SECONDS', 3000);
const THREADS = env('BENCH_NULL_THREADS', os.availableParallelism());
const W = 854;
const H = 480;
const NATIVE = path.resolve(import.meta.dirname, '../native');

function decodeGray(file: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', file, '-vf', 'format=gray', '-f', 'rawvideo', out], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code} decoding ${file}`))));
  });
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-bench-null-'));
  try {
    const harness = path.join(dir, 'false-alarm');
    const sources = ['ecc', 'pattern', 'embed', 'detect', 'register'].map((f) => path.join(NATIVE, 'src', `${f}.cc`));
    await exec(process.env.CXX ?? 'g++', ['-O3', '-march=x86-64-v2', '-std=c++17', '-pthread', `-I${path.join(NATIVE, 'src')}`, ...sources, path.join(NATIVE, 'bench/false_alarm.cc'), '-o', harness]);
    const photos = await naturalPhotos();
    if (photos.length === 0) throw new Error('no photographs under /usr/share/backgrounds/mate: apt-get install mate-backgrounds');
    const clip = path.join(dir, 'natural.mp4');
    await makeNaturalSource(clip, photos, { seconds: 12, width: W, height: H, fps: 24 });
    const frames = path.join(dir, 'natural.gray');
    await decodeGray(clip, frames);
    const load = (await fs.readFile('/proc/loadavg', 'utf8')).trim();
    const { stdout } = await exec(harness, [String(TRIALS), String(THREADS), frames, String(W), String(H), '48'], {
      env: { ...process.env, FA_MAX_SECONDS: String(SECONDS) }, maxBuffer: 1 << 20,
    });
    const r = Object.fromEntries(stdout.trim().split(/\s+/).map((kv) => kv.split('=') as [string, string]));
    const n = Number(r.trials);
    const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
    console.log(`\nVigil watermark null trials — natural footage ${W}x${H}, 48-frame windows, ${THREADS} threads, load before ${load}, after ${(await fs.readFile('/proc/loadavg', 'utf8')).trim()}\n`);
    console.log('| measure | value | target | result |\n| --- | --- | --- | --- |');
    console.log(`| null trials run (${r.unmarked} unmarked with a random key, ${r.wrongKey} marked and read with a wrong key) | ${n} in ${r.seconds} s (${((Number(r.seconds) * THREADS) / Math.max(1, n)).toFixed(2)} CPU-s each) | ≥ ${TRIALS} | ${verdict(n >= TRIALS)} |`);
    console.log(`| false IDs (unmarked) | ${r.falseIDs} | 0 | ${verdict(r.falseIDs === '0')} |`);
    console.log(`| wrong IDs (wrong key) | ${r.wrongIDs} | 0 | ${verdict(r.wrongIDs === '0')} |`);
    console.log(`| pilotZ of the null trials, mean / max | ${r.pilotZmean} / ${r.pilotZmax} | | |`);
    console.log(`| smallest false-alarm estimate reported | ${r.minPfa} | | |`);
    if (n < TRIALS || r.falseIDs !== '0' || r.wrongIDs !== '0') process.exitCode = 1;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
