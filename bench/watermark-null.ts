/**
 * npm run bench:watermark-null — false and wrong IDs over many null trials through the blind
 * detector's real decision path (the version-1 sum, then the version-2 windowed search; Viterbi,
 * MAC), in the C++ harness native/bench/false_alarm.cc on every core: natural footage
 * (bench/natural-source.ts at 854x480, the detector's input size for a 480p leak), windows of
 * BENCH_NULL_WINDOW frames (192: two of the windowed search's 96-frame windows) from random starts,
 * half unmarked with a random key, half marked (version 2, a random ID) with one random key and
 * read with another. Then the ledger test (runners/watermark/accusation.ts) on each trial's cell
 * soft values, against a ledger of 200 sequential IDs from a random start under the trial's key:
 * every one of them innocent, so any name is an innocent named.
 *   BENCH_NULL_TRIALS=10000 BENCH_NULL_SECONDS=3000 (no trial starts after that; the table says how
 *   many ran) BENCH_NULL_THREADS=<cores> BENCH_NULL_WINDOW=192 CXX=g++
 *   BENCH_NULL_FIRST=N (default 0): the first trial's number; trials are seeded from their number, so
 *   runs over disjoint ranges (say 0, then 10000) are new trials whose counts add up.
 *   To stop a run early and keep its count, send SIGTERM to the harness (`pkill -TERM -f false-alarm`):
 *   running trials finish and the table is printed.
 *   BENCH_NULL_KEEP=DIR: the harness's output is kept there, and read from there (not run again)
 *   when present: the ledger test can be rerun on the same trials.
 * Exits 1 when an ID was found or fewer trials ran than asked.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { accuse, DEFAULT_INNOCENT_BOUND } from '../runners/watermark/accusation.js';
import { keyCodewords } from '../runners/watermark/codewords.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { makeNaturalSource, naturalPhotos } from './natural-source.js';

const exec = promisify(execFile);
const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const TRIALS = env('BENCH_NULL_TRIALS', 10_000);
const SECONDS = env('BENCH_NULL_SECONDS', 3000);
const THREADS = env('BENCH_NULL_THREADS', os.availableParallelism());
const WINDOW = env('BENCH_NULL_WINDOW', 192);
const FIRST = env('BENCH_NULL_FIRST', 0);
const LEDGER = 200;
const W = 854;
const H = 480;
const NATIVE = path.resolve(import.meta.dirname, '../native');

function decodeGray(file: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', file, '-vf', 'format=gray', '-f', 'rawvideo', out], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code} decoding ${file}`))));
  });
}

/** The ledger test on every trial's soft values: how many trials named anyone (all innocent), and the largest t against its threshold. */
function ledgerNull(softLines: string[]): { trials: number; named: number; maxT: number; threshold: number; tailOver4: number; tested: number } {
  const r = seededRandom(20261204);
  const out = { trials: 0, named: 0, maxT: -Infinity, threshold: 0, tailOver4: 0, tested: 0 };
  for (const line of softLines) {
    const [, , keyHex, found, ...values] = line.split(' ');
    if (found === '1' || values.length !== 256) continue; // a blind ID found is counted above; the ledger test runs when none is
    const first = 1 + Math.floor(r() * 1e6);
    const ids = Array.from({ length: LEDGER }, (_, i) => first + i);
    const a = accuse({ alignments: [{ pilotZ: 0, cells: Float32Array.from(values, Number) }], ...keyCodewords(Buffer.from(keyHex!, 'hex'), ids) });
    out.trials++;
    if (a.accused.length > 0) out.named++;
    out.maxT = Math.max(out.maxT, ...a.tested.map((x) => x.t));
    out.tailOver4 += a.tested.filter((x) => x.t > 4).length;
    out.tested += a.tested.length;
    out.threshold = a.threshold;
  }
  return out;
}

async function runHarness(dir: string): Promise<{ summary: string; soft: string[]; load: string }> {
  const summaryFile = path.join(dir, 'summary.txt');
  const softFile = path.join(dir, 'soft.txt');
  const kept = await fs.readFile(summaryFile, 'utf8').catch(() => undefined);
  const loadFile = path.join(dir, 'load.txt');
  if (kept) return { summary: kept, soft: (await fs.readFile(softFile, 'utf8')).trim().split('\n'), load: (await fs.readFile(loadFile, 'utf8').catch(() => 'not kept')).trim() };
  const harness = path.join(dir, 'false-alarm');
  const sources = ['ecc', 'pattern', 'embed', 'chipsync', 'detect', 'register'].map((f) => path.join(NATIVE, 'src', `${f}.cc`));
  await exec(process.env.CXX ?? 'g++', ['-O3', '-march=x86-64-v2', '-std=c++17', '-pthread', `-I${path.join(NATIVE, 'src')}`, ...sources, path.join(NATIVE, 'bench/false_alarm.cc'), '-o', harness]);
  const photos = await naturalPhotos();
  if (photos.length === 0) throw new Error('no photographs under /usr/share/backgrounds/mate: apt-get install mate-backgrounds');
  const clip = path.join(dir, 'natural.mp4');
  await makeNaturalSource(clip, photos, { seconds: Math.max(12, Math.ceil((WINDOW * 3) / 24)), width: W, height: H, fps: 24 });
  const frames = path.join(dir, 'natural.gray');
  await decodeGray(clip, frames);
  const load = (await fs.readFile('/proc/loadavg', 'utf8')).trim();
  const { stdout } = await exec(harness, [String(TRIALS), String(THREADS), frames, String(W), String(H), String(WINDOW)], {
    env: { ...process.env, FA_MAX_SECONDS: String(SECONDS), FA_SOFT_OUT: softFile, FA_MARK_VERSION: '2', FA_FIRST_TRIAL: String(FIRST) }, maxBuffer: 1 << 20,
  });
  await fs.rm(frames);
  await fs.writeFile(loadFile, load);
  await fs.writeFile(summaryFile, stdout);
  return { summary: stdout, soft: (await fs.readFile(softFile, 'utf8')).trim().split('\n'), load };
}

async function main(): Promise<void> {
  const keep = process.env.BENCH_NULL_KEEP;
  const dir = keep ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-bench-null-')));
  await fs.mkdir(dir, { recursive: true });
  try {
    const { summary, soft, load } = await runHarness(dir);
    const r = Object.fromEntries(summary.trim().split(/\s+/).map((kv) => kv.split('=') as [string, string]));
    const n = Number(r.trials);
    const ledger = ledgerNull(soft);
    const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
    // with 0 events in n trials, the one-sided 95 % upper bound on the rate is 1 - 0.05^(1/n) (about 3 / n)
    const upper = (k: number, trials: number): string => (k === 0 && trials > 0 ? `, rate < ${(1 - 0.05 ** (1 / trials)).toExponential(1)} (95 %)` : '');
    console.log(`\nVigil watermark null trials — ${r.frames} footage ${W}x${H}, ${r.window}-frame windows, ${r.threads} threads, load before ${load}, after ${(await fs.readFile('/proc/loadavg', 'utf8')).trim()}\n`);
    console.log('| measure | value | target | result |\n| --- | --- | --- | --- |');
    console.log(`| null trials run (numbers ${r.firstTrial} to ${Number(r.firstTrial) + n - 1}: ${r.unmarked} unmarked with a random key, ${r.wrongKey} marked v${r.markVersion} and read with a wrong key) | ${n} in ${r.seconds} s (${((Number(r.seconds) * Number(r.threads)) / Math.max(1, n)).toFixed(2)} thread-s of wall time each) | ≥ ${TRIALS} | ${verdict(n >= TRIALS)} |`);
    console.log(`| false IDs (unmarked) | ${r.falseIDs}${upper(Number(r.falseIDs), Number(r.unmarked))} | 0 | ${verdict(r.falseIDs === '0')} |`);
    console.log(`| wrong IDs (wrong key) | ${r.wrongIDs}${upper(Number(r.wrongIDs), Number(r.wrongKey))} | 0 | ${verdict(r.wrongIDs === '0')} |`);
    console.log(`| pilotZ of the null trials, mean / max | ${r.pilotZmean} / ${r.pilotZmax} | | |`);
    console.log(`| smallest false-alarm estimate reported | ${r.minPfa} | | |`);
    console.log(`| ledger test (${LEDGER} innocent sequential IDs, bound ${DEFAULT_INNOCENT_BOUND}): trials naming anyone | ${ledger.named} of ${ledger.trials}${upper(ledger.named, ledger.trials)} | 0 | ${verdict(ledger.named === 0)} |`);
    console.log(`| ledger test: largest t / threshold; tested t over 4 | ${ledger.maxT.toFixed(2)} / ${ledger.threshold.toFixed(2)}; ${ledger.tailOver4} of ${ledger.tested} | | |`);
    if (n < TRIALS || r.falseIDs !== '0' || r.wrongIDs !== '0' || ledger.named > 0) process.exitCode = 1;
  } finally {
    if (!keep) await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
