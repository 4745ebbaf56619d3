/**
 * Geometry, time and overlay trials for the blind detector on natural footage (bench/natural-source.ts), quick enough
 * to run while changing native/src/detect.cc (npm run bench:watermark-geometry --):
 *   node --import tsx bench/watermark-geometry.ts [--case NAME[,NAME]] [--ids N] [--rounds R] [--keep DIR] [--before ADDON] [--mark-version 1|2]
 * Builds (or reuses, with --keep) a 40 s 1280x720 source from photographs, embeds N random IDs,
 * cuts a 30 s window at a random offset per trial (--rounds R: R trials per ID and case, each at its own offset), applies each attack with ffmpeg, decodes the
 * attacked luma as runners/watermark/detect.ts does (at most 540 lines) and prints per case: exact
 * IDs, wrong IDs, pilotZ (the margin: the decision threshold is a MAC-checked decode, pilotZ is how
 * far the pilot peak stands above the null), and the CPU time of the detector's result().
 * --before: the .node file of an earlier build, run on the same attacked clips for comparison.
 * --mark-version (default 2, what new embeds write): the forensic mark version of the copies.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { runEmbedPipeline } from '../runners/media/pipeline.js';
import { checkEmbeddable, probeMedia } from '../runners/media/probe.js';
import { makeNaturalSource, naturalPhotos } from './natural-source.js';
import { makeOverlayAssets, overlayAssetPaths } from './overlay-assets.js';
import { GEOMETRY_ATTACKS, REENCODE_ATTACKS, TIME_ATTACKS, overlayAttacks, realWorldAttacks, x264 } from './watermark-attacks.js';

const exec = promisify(execFile);
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

function decode(file: string): Promise<{ frames: Buffer[]; width: number; height: number }> {
  return probeMedia(file).then((info) => new Promise((resolve, reject) => {
    const v = info.video!;
    const h = Math.min(540, v.height);
    const w = h === v.height ? v.width : Math.max(2, Math.round((v.width * h) / v.height / 2) * 2);
    const p = spawn('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-vf', `scale=${w}:${h}:flags=area,format=gray`, '-f', 'rawvideo', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg ${code}`));
      const all = Buffer.concat(chunks);
      const n = Math.floor(all.length / (w * h));
      resolve({ frames: Array.from({ length: n }, (_, i) => all.subarray(i * w * h, (i + 1) * w * h)), width: w, height: h });
    });
  }));
}

interface NativeDetector {
  accumulate(plane: Uint8Array): void;
  result(): { found: boolean; payload?: number; pilotZ: number };
}
type DetectorClass = new (o: { key: Buffer; width: number; height: number; bitDepth: number }) => NativeDetector;
const load = (file: string): DetectorClass => (createRequire(import.meta.url)(file) as { Detector: DetectorClass }).Detector;

interface Tally { exact: number; wrong: number; nullFound: number; zs: number[]; ms: number[] }

function run(D: DetectorClass, frames: Buffer[], width: number, height: number, key: Buffer, id: number, t: Tally): void {
  for (const k of [key, randomBytes(32)]) {
    const det = new D({ key: k, width, height, bitDepth: 8 });
    for (const f of frames) det.accumulate(new Uint8Array(f.buffer, f.byteOffset, f.length));
    const c = process.cpuUsage();
    const r = det.result();
    const d = process.cpuUsage(c);
    if (k !== key) {
      if (r.found) t.nullFound++;
      continue;
    }
    t.ms.push((d.user + d.system) / 1000);
    t.zs.push(r.pilotZ);
    if (r.found && r.payload === id) t.exact++;
    else if (r.found) t.wrong++;
  }
}

function cells(t: Tally, n: number): string {
  const zs = [...t.zs].sort((a, b) => a - b);
  const ms = [...t.ms].sort((a, b) => a - b);
  return `${t.exact}/${n} | ${t.wrong} | ${t.nullFound} | ${zs[0]!.toFixed(1)} / ${zs[zs.length >> 1]!.toFixed(1)} | ${ms[ms.length >> 1]!.toFixed(0)}`;
}

async function main(): Promise<void> {
  const after = load(path.resolve(import.meta.dirname, '../native/build/Release/vigil_native.node'));
  const beforeFile = arg('before');
  const before = beforeFile ? load(path.resolve(beforeFile)) : undefined;
  const dir = arg('keep') ?? (await fs.mkdtemp('/tmp/vigil-geometry-'));
  await fs.mkdir(dir, { recursive: true });
  const key = Buffer.from('6b'.repeat(32), 'hex');
  const nIds = Number(arg('ids') ?? 3);
  const rounds = Number(arg('rounds') ?? 1);
  const markVersion = arg('mark-version') === '1' ? 1 : 2;
  const source = path.join(dir, 'source.mp4');
  if (!(await fs.stat(source).then(() => true, () => false))) await makeNaturalSource(source, await naturalPhotos(), { seconds: 40, width: 1280, height: 720, fps: 24 });
  const info = await probeMedia(source);
  const video = checkEmbeddable(info, { minDuration: 0 });
  const ids = Array.from({ length: nIds }, (_, i) => [0x1234567, 0x7eadbeef, 0x2468ace, 0x55aa33cc, 0x1badf00d][i % 5]! + Math.floor(i / 5));
  for (const id of ids) {
    const out = path.join(dir, `marked-v${markVersion}-${id}.mp4`);
    if (!(await fs.stat(out).then(() => true, () => false))) await runEmbedPipeline({ info, video, ext: '.mp4', key, preset: 'veryfast', targets: [{ output: out, payload: id }], markVersion });
  }
  const wanted = arg('case')?.split(',').map((s) => s.toLowerCase());
  const assets = overlayAssetPaths(dir);
  const cases = [{ name: 'H.264 480p 1 Mbps', args: ['-vf', 'scale=-2:480', ...x264('1M')] }, ...REENCODE_ATTACKS, ...GEOMETRY_ATTACKS, ...TIME_ATTACKS, ...overlayAttacks(assets), ...realWorldAttacks(assets)]
    .filter((c) => !wanted || wanted.some((w) => c.name.toLowerCase().includes(w)));
  if (cases.some((c) => c.args.some((a) => a.includes(dir))) && !(await fs.stat(assets.pip).then(() => true, () => false))) {
    await makeOverlayAssets(assets, { seconds: 32, width: 1280, height: 720, fps: 24 });
  }
  const head = '| exact | wrong | null found | pilotZ min / median | result() CPU ms |';
  console.log(`| case ${before ? head.replace(/\| (\w)/g, '| before: $1') : ''}${head}`);
  console.log(`|${' --- |'.repeat(before ? 11 : 6)}`);
  for (const c of cases) {
    const tb: Tally = { exact: 0, wrong: 0, nullFound: 0, zs: [], ms: [] };
    const ta: Tally = { exact: 0, wrong: 0, nullFound: 0, zs: [], ms: [] };
    for (const id of Array.from({ length: rounds }, () => ids).flat()) {
      const offset = (Math.random() * 9.5).toFixed(3);
      // named by this process, so two runs sharing a --keep directory do not read each other's clip
      const att = path.join(dir, `attack-${process.pid}.mp4`);
      await exec('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-ss', offset, '-i', path.join(dir, `marked-v${markVersion}-${id}.mp4`), '-t', '30', '-an', ...c.args, att], { maxBuffer: 1 << 26 });
      const { frames, width, height } = await decode(att);
      await fs.rm(att, { force: true });
      if (before) run(before, frames, width, height, key, id, tb);
      run(after, frames, width, height, key, id, ta);
    }
    console.log(`| ${c.name} | ${before ? `${cells(tb, ids.length * rounds)} | ` : ''}${cells(ta, ids.length * rounds)} |`);
  }
  if (!arg('keep')) await fs.rm(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
