/**
 * npm run bench:fingerprint: the reference fingerprints of a 2-hour title, computed and stored as a
 * monitoring round does when a Content is registered (referencesFor, into a fresh database on the
 * local PostgreSQL, BENCH_DATABASE_URL to point elsewhere), with the peak resident memory of this
 * process and of the ffmpeg decoder it starts. Target: at most 300 MB for both together.
 * Baseline, in the same process: a plain ffmpeg decode of the same file through the same filters
 * to `-f null`, the least any fingerprinting of it can cost.
 *
 * The source is generated once and cached under .vigil/bench: five minutes of lavfi testsrc2 at
 * 640x360 (so planes are the full 640 px a real title gives), looped to the duration by stream copy.
 *   BENCH_FINGERPRINT_MINUTES=120 (length of the reference)
 * Exits 1 when the target is missed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { silentLogger } from '../core/log.js';
import { referenceFrameCount } from '../runners/monitor/confirm.js';
import { REFERENCE_FPS, grayPlaneFilters } from '../runners/monitor/fingerprint.js';
import { referencesFor } from '../runners/monitor/references-store.js';
import { createScratchDatabase } from './scratch-database.js';

const MINUTES = Number(process.env.BENCH_FINGERPRINT_MINUTES ?? 120);
const TARGET_MB = 300;
const SEGMENT_SECONDS = Math.min(300, MINUTES * 60);
const CACHE = path.resolve('.vigil/bench');

const mb = (kb: number): string => (kb / 1024).toFixed(0);

/** VmHWM (peak resident set) of a process in kB, or undefined once it is gone. */
function peakRssKb(pid: number | 'self'): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Resets this process's VmHWM to its current resident set, so the next phase's peak is its own. */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/** Pids whose parent is this process (the ffmpeg decoders the code under test spawns). */
function childPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name (field 2) may hold spaces and parentheses: the parent pid follows the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) pids.push(Number(name));
    } catch { /* gone meanwhile */ }
  }
  return pids;
}

/**
 * Samples the children's VmHWM every 50 ms while `fn` runs: a child's peak can only be read while
 * it lives, so the last sample before it exits stands for it (it is near its peak by then).
 */
async function withChildPeak<T>(fn: () => Promise<T>): Promise<{ value: T; childPeakKb: number; seconds: number }> {
  const seen = new Map<number, number>();
  const sample = () => { for (const pid of childPids()) seen.set(pid, Math.max(seen.get(pid) ?? 0, peakRssKb(pid) ?? 0)); };
  const timer = setInterval(sample, 50);
  const start = performance.now();
  try {
    const value = await fn();
    return { value, childPeakKb: Math.max(0, ...seen.values()), seconds: (performance.now() - start) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

function ensureSource(): string {
  const file = path.join(CACHE, `reference-${MINUTES}min-640x360.mp4`);
  if (existsSync(file)) return file;
  mkdirSync(CACHE, { recursive: true });
  const segment = path.join(CACHE, `segment-${SEGMENT_SECONDS}s-640x360.mp4`);
  const ff = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { stdio: 'inherit' });
  if (!existsSync(segment)) {
    console.log(`generating a ${SEGMENT_SECONDS} s segment (testsrc2 640x360, 24 fps) ...`);
    ff('-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=24:duration=${SEGMENT_SECONDS}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', '-g', '48', '-pix_fmt', 'yuv420p', `${segment}.part.mp4`);
    renameSync(`${segment}.part.mp4`, segment);
  }
  console.log(`looping it to ${MINUTES} min by stream copy ...`);
  ff('-stream_loop', String(Math.ceil((MINUTES * 60) / SEGMENT_SECONDS) - 1), '-i', segment, '-c', 'copy', '-t', String(MINUTES * 60), `${file}.part.mp4`);
  renameSync(`${file}.part.mp4`, file);
  return file;
}

/** The baseline: ffmpeg decodes and filters exactly as fingerprinting does, and throws the planes away. */
function plainDecode(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-vf', grayPlaneFilters(REFERENCE_FPS), '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
  });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const file = ensureSource();
  const root = path.dirname(file);
  const scratch = await createScratchDatabase(`vigil_bench_fp_${process.pid}`);
  const db = await openDatabase(loadConfig({ DATABASE_URL: scratch.url }), silentLogger);
  try {
    await measure(file, root, db.pool);
  } finally {
    await db.close();
    await scratch.drop();
  }
}

async function measure(file: string, root: string, pool: pg.Pool): Promise<void> {
  const startKb = peakRssKb('self')!;
  const decode = await withChildPeak(() => plainDecode(file));
  const spec = { type: 'film' as const, title: 'Bench', releaseDate: '2026-01-01', referenceMedia: [{ path: path.basename(file), kind: 'video' as const }] };
  resetPeak();
  const fp = await withChildPeak(() => referencesFor(pool, 'bench', spec, root));
  const nodePeakKb = peakRssKb('self')!;
  if (!fp.value.computed) throw new Error('the fresh database already held references');
  // What every later round does with them: read the row back.
  resetPeak();
  const readStart = performance.now();
  const read = await referencesFor(pool, 'bench', spec, root);
  const readSeconds = (performance.now() - readStart) / 1000;
  const readPeakKb = peakRssKb('self')!;
  if (read.computed) throw new Error('the references were computed again');
  const frames = referenceFrameCount(fp.value.references);
  const stored = (await pool.query<{ text: number; jsonb: number }>(
    "select octet_length(fingerprints::text) as text, pg_column_size(fingerprints) as jsonb from reference_fingerprints where content_id = 'bench'")).rows[0]!;
  const totalKb = nodePeakKb + fp.childPeakKb;
  const met = totalKb <= TARGET_MB * 1024;

  console.log(`\nreference: ${path.relative(process.cwd(), file)}, ${MINUTES} min, sampled at ${REFERENCE_FPS} fps; node at start ${mb(startKb)} MB resident`);
  console.log(`stored in reference_fingerprints.fingerprints: ${(stored.text / 1048576).toFixed(1)} MB of JSON text, ${(stored.jsonb / 1048576).toFixed(1)} MB as the jsonb column holds it (pg_column_size)\n`);
  console.log(table(['run', 'duration', 'frames hashed', 'wall s', 'peak RSS node', 'peak RSS ffmpeg', 'peak RSS total', 'target', 'met'], [
    ['plain decode (ffmpeg -f null)', `${MINUTES} min`, '-', decode.seconds.toFixed(1), '-', `${mb(decode.childPeakKb)} MB`, `${mb(decode.childPeakKb)} MB`, '-', '-'],
    ['reference fingerprints (computed + stored)', `${MINUTES} min`, String(frames), fp.seconds.toFixed(1), `${mb(nodePeakKb)} MB`, `${mb(fp.childPeakKb)} MB`, `${mb(totalKb)} MB`, `≤ ${TARGET_MB} MB total`, met ? 'met' : 'MISSED'],
    ['read back (every later round)', `${MINUTES} min`, String(referenceFrameCount(read.references)), readSeconds.toFixed(1), `${mb(readPeakKb)} MB`, '-', `${mb(readPeakKb)} MB`, '-', '-'],
    ['ratio fingerprints ÷ decode', '-', '-', (fp.seconds / decode.seconds).toFixed(2), '-', '-', (totalKb / decode.childPeakKb).toFixed(2), '-', '-'],
  ]));
  if (!met) process.exitCode = 1;
}

await main();
