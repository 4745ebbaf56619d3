/**
 * Collusion and estimation attacks on the forensic mark (issue 14 item 4), on natural footage
 * (bench/natural-source.ts), each leak re-encoded H.264 480p 1 Mbps after the attack:
 *   node --import tsx bench/watermark-collusion.ts [--trials N] [--case NAME[,NAME]] [--seconds S] [--keep DIR] [--max-minutes M] [--versions 1,2]
 * Cases: avg2 / avg3 (frame-by-frame average of 2 / 3 recipients' copies), alt2 / alt3 (alternating
 * 2 s segments from 2 / 3 copies), est1 / est2 (one copy: the mean of all its frames, high-passed,
 * is the pattern estimate, subtracted with gain 1 / 2), estgroup1 / estgroup2 (the attacker knows
 * version 2's sign groups, kSignGroupFrames = 192 frames from the copy's first frame, and subtracts
 * from each frame the estimate made from its own group's frames in the clip), estslide8 / estslide24 /
 * estslide48 / estslide96 (no knowledge: each frame's estimate is the mean of the N frames centred
 * on it; on version 1, also what an attacker who knows the boundaries gets from N-frame groups;
 * 8 frames is version 3's chip),
 * copy (one copy, no attack: the figures the attacks start from), unmarked (the source itself:
 * every ledger recipient innocent). Copies are made for 5 sequential IDs out of a ledger of 200
 * sequential IDs (sequential IDs share their leading payload bits: the worst case for telling them
 * apart); only the first when no selected case combines copies.
 * Each trial cuts a --seconds window (default 30) at a random frame of the 40 s source.
 * Per trial it prints what the blind decode named and what the ledger-aware accusation
 * (runners/watermark/accusation.ts) named: colluder / nothing / innocent (the last must be 0), and
 * for est* and copy, whether the copy's ID is still read, the PSNR of the attacked frames against the
 * copy's, and the sign-group phase the detector found against the true one (version 2). --max-minutes bounds the run (default 40): no new
 * trial starts after it. --versions (default 1,2): the forensic mark versions to make copies with
 * (native/index.ts MarkVersion; 3 is read by a detector made with readChipped); every case runs on
 * each, version 1 being the baseline.
 * BENCH_COLLUSION_TRIALS=N is the same as --trials N (default 8). The summary gives, per case, the
 * outcome counts (colluder named / nothing / innocent named) and met/MISSED against the goals:
 * innocent named 0 in every case; for avg* / alt*, the ledger test names a colluder in more than half the trials.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { MarkVersion } from '../native/index.js';
import { runEmbedPipeline } from '../runners/media/pipeline.js';
import { checkEmbeddable, probeMedia } from '../runners/media/probe.js';
import { accuse, scoredAlignments } from '../runners/watermark/accusation.js';
import { keyCodewords } from '../runners/watermark/codewords.js';
import { detectInVideo } from '../runners/watermark/detect.js';
import { makeNaturalSource, naturalPhotos } from './natural-source.js';
import { x264 } from './watermark-attacks.js';
import { boxMean } from '../test/support/box-mean.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const W = 854;
const H = 480;
const FPS = 24;
const CLIP = Number(arg('seconds') ?? 30);
const FRAME = (W * H * 3) / 2;
const SEGMENT_FRAMES = 2 * FPS;
const KEY = Buffer.from('6b'.repeat(32), 'hex');
const LEDGER = Array.from({ length: 200 }, (_, i) => 5001 + i);
const COPIES = LEDGER.slice(0, 5);

/** native/src/pattern.h: version 2's sign holds for this many frames, counted from a copy's first. */
const SIGN_GROUP_FRAMES = 192;

/**
 * Where the estimation attacker averages for clip frame i: clip frames [from, to), clipped to the
 * clip; `first` is the copy's frame number of clip frame 0. Both ends never move back as i grows.
 */
type EstimateWindow = (i: number, first: number) => readonly [number, number];
const wholeClip: EstimateWindow = () => [0, Infinity];
const ownGroup: EstimateWindow = (i, first) => {
  const from = Math.floor((first + i) / SIGN_GROUP_FRAMES) * SIGN_GROUP_FRAMES - first;
  return [from, from + SIGN_GROUP_FRAMES];
};
const centred = (n: number): EstimateWindow => (i) => [i - n / 2, i + n / 2];

type Kind = 'avg' | 'alt' | 'est' | 'copy' | 'unmarked';
interface Case { name: string; kind: Kind; copies: number; gain?: number; window?: EstimateWindow }
const CASES: Case[] = [
  { name: 'avg2', kind: 'avg', copies: 2 }, { name: 'avg3', kind: 'avg', copies: 3 },
  { name: 'alt2', kind: 'alt', copies: 2 }, { name: 'alt3', kind: 'alt', copies: 3 },
  { name: 'est1', kind: 'est', copies: 1, gain: 1, window: wholeClip }, { name: 'est2', kind: 'est', copies: 1, gain: 2, window: wholeClip },
  { name: 'estgroup1', kind: 'est', copies: 1, gain: 1, window: ownGroup }, { name: 'estgroup2', kind: 'est', copies: 1, gain: 2, window: ownGroup },
  { name: 'estslide8', kind: 'est', copies: 1, gain: 1, window: centred(8) }, { name: 'estslide24', kind: 'est', copies: 1, gain: 1, window: centred(24) }, { name: 'estslide48', kind: 'est', copies: 1, gain: 1, window: centred(48) },
  { name: 'estslide96', kind: 'est', copies: 1, gain: 1, window: centred(96) },
  { name: 'copy', kind: 'copy', copies: 1 }, { name: 'unmarked', kind: 'unmarked', copies: 0 },
];

/** Reads fixed-size frames from a stream, one at a time. */
class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private ended = false;
  private wake?: () => void;
  constructor(stream: Readable, private readonly size = FRAME) {
    stream.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.have += c.length;
      this.wake?.();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
  }
  async next(): Promise<Buffer | undefined> {
    while (this.have < this.size && !this.ended) await new Promise<void>((r) => (this.wake = r));
    if (this.have < this.size) return undefined;
    // join only the chunks this frame spans: a reader left behind (the estimate reads ahead of the
    // frames it is applied to) may hold the whole clip
    let k = 0;
    for (let n = 0; n < this.size; k++) n += this.chunks[k]!.length;
    const head = k === 1 ? this.chunks[0]! : Buffer.concat(this.chunks.slice(0, k));
    this.chunks.splice(0, k, ...(head.length > this.size ? [head.subarray(this.size)] : []));
    this.have -= this.size;
    return head.subarray(0, this.size);
  }
}

function decoder(file: string, offset: number, format = 'yuv420p'): ChildProcessByStdio<null, Readable, null> {
  return spawn('ffmpeg', ['-v', 'error', '-nostdin', '-ss', offset.toFixed(3), '-i', file, '-t', String(CLIP), '-an',
    '-vf', `scale=${W}:${H}:flags=bicubic`, '-pix_fmt', format, '-f', 'rawvideo', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function encoder(out: string): ChildProcessByStdio<Writable, null, null> {
  return spawn('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${H}`, '-r', String(FPS), '-i', '-',
    ...x264('1M'), out], { stdio: ['pipe', 'ignore', 'inherit'] });
}

const closed = (p: { on(e: 'close', f: (code: number | null) => void): unknown }, what: string): Promise<void> =>
  new Promise((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${what}: ffmpeg exit ${code}`)))));

/** Frame-by-frame: combine(frames of each input, index) -> the frame written; all inputs in lockstep. */
async function combine(inputs: string[], offset: number, out: string, each: (frames: Buffer[], i: number) => Buffer | Promise<Buffer>): Promise<void> {
  const decs = inputs.map((f) => decoder(f, offset));
  const readers = decs.map((d) => new FrameReader(d.stdout));
  const enc = encoder(out);
  const done = [...decs.map((d, i) => closed(d, `decode ${inputs[i]}`)), closed(enc, 'encode')];
  for (let i = 0; ; i++) {
    const frames = await Promise.all(readers.map((r) => r.next()));
    if (frames.some((f) => f === undefined)) break;
    const frame = await each(frames as Buffer[], i);
    if (!enc.stdin.write(frame)) await new Promise((r) => enc.stdin.once('drain', r));
  }
  enc.stdin.end();
  await Promise.all(done);
}

/**
 * The attacker's estimate of the pattern in each frame of one copy: the mean luma of the frames in
 * window(i), high-passed. It reads the copy (its own decoder, ahead of the frame asked for) only as
 * far as the window needs, and keeps the frames the window may still drop.
 */
class PatternEstimate {
  private readonly reader: FrameReader;
  private readonly done: Promise<void>;
  private readonly kept: Buffer[] = [];
  private keptFrom = 0;
  private read = 0;
  private ended = false;
  private readonly sum = new Float64Array(W * H);
  private at: readonly [number, number] = [0, 0];
  private estimate = new Float32Array(W * H);
  constructor(file: string, offset: number, private readonly window: (i: number) => readonly [number, number]) {
    const dec = decoder(file, offset, 'gray');
    this.reader = new FrameReader(dec.stdout, W * H);
    this.done = closed(dec, `decode ${file}`);
  }
  async forFrame(i: number): Promise<Float32Array> {
    const [wantFrom, wantTo] = this.window(i);
    while (!this.ended && this.read < wantTo) {
      const f = await this.reader.next();
      if (!f) {
        this.ended = true;
        await this.done;
        break;
      }
      this.kept.push(Buffer.from(f));
      for (let p = 0; p < W * H; p++) this.sum[p] = this.sum[p]! + f[p]!;
      this.read++;
    }
    while (this.keptFrom < Math.min(wantFrom, this.read)) {
      const f = this.kept.shift()!;
      for (let p = 0; p < W * H; p++) this.sum[p] = this.sum[p]! - f[p]!;
      this.keptFrom++;
    }
    const at = [this.keptFrom, this.read] as const;
    if (at[0] !== this.at[0] || at[1] !== this.at[1]) {
      this.at = at;
      const mean = new Float32Array(W * H);
      const n = at[1] - at[0];
      for (let p = 0; p < W * H; p++) mean[p] = this.sum[p]! / n;
      // minus a wide box mean (radius 12 px, a little less than a cell pair at 480p): what is left is
      // the pattern plus whatever of the content did not average out
      const blur = boxMean(mean, W, H, 12);
      for (let p = 0; p < W * H; p++) mean[p] = mean[p]! - blur[p]!;
      this.estimate = mean;
    }
    return this.estimate;
  }
  /** Lets the decoder finish when the windows stopped short of the clip's end. */
  async close(): Promise<void> {
    while (!this.ended && (await this.reader.next())) this.read++;
    this.ended = true;
    await this.done;
  }
}

const copyFile = (dir: string, version: MarkVersion, id: number): string => path.join(dir, `marked-v${version}-${id}.mp4`);

type Verdict = 'colluder' | 'nothing' | 'innocent';
const verdict = (id: number | undefined, colluders: readonly number[]): Verdict => (id === undefined ? 'nothing' : colluders.includes(id) ? 'colluder' : 'innocent');

interface Row {
  blind: Verdict; informed: Verdict; innocentT: number; colluderT: number; threshold: number; pilotZ: number; psnr?: number;
  /**
   * Version 2: where the detector found a sign group to begin (clip frame), and where one does;
   * version 3: the copy's frame number of the clip's first frame, as the chip sync found it (z).
   */
  phase?: { found: number; truth: number; z?: number };
}

function pick<T>(from: readonly T[], k: number): T[] {
  const pool = [...from];
  const out: T[] = [];
  while (out.length < k) out.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]!);
  return out;
}

async function trial(c: Case, version: MarkVersion, dir: string, source: string, pool: readonly number[]):
Promise<Row & { colluders: number[]; blindId?: number; accused: number[] }> {
  // half a frame before frame `first`: the decoder's first frame is `first` whatever the rounding
  const first = 1 + Math.floor(Math.random() * 9.5 * FPS);
  const offset = (first - 0.5) / FPS;
  const colluders = pick(pool, c.copies);
  const files = colluders.map((id) => copyFile(dir, version, id));
  const leak = path.join(dir, 'leak.mp4');
  let psnr: number | undefined;
  if (c.kind === 'avg') {
    await combine(files, offset, leak, (frames) => {
      const out = Buffer.allocUnsafe(FRAME);
      for (let i = 0; i < FRAME; i++) {
        let s = 0;
        for (const f of frames) s += f[i]!;
        out[i] = Math.round(s / frames.length);
      }
      return out;
    });
  } else if (c.kind === 'alt') {
    await combine(files, offset, leak, (frames, i) => frames[Math.floor(i / SEGMENT_FRAMES) % frames.length]!);
  } else if (c.kind === 'est') {
    const window = c.window!;
    const est = new PatternEstimate(files[0]!, offset, (i) => window(i, first));
    let se = 0;
    let n = 0;
    await combine(files, offset, leak, async ([f], k) => {
      const e = await est.forFrame(k);
      const out = Buffer.from(f!);
      for (let i = 0; i < W * H; i++) {
        const v = Math.min(255, Math.max(0, Math.round(out[i]! - c.gain! * e[i]!)));
        se += (v - out[i]!) ** 2;
        out[i] = v;
      }
      n += W * H;
      return out;
    });
    await est.close();
    psnr = 10 * Math.log10((255 * 255) / Math.max(1e-9, se / n));
  } else if (c.kind === 'copy') {
    await combine(files, offset, leak, ([f]) => f!);
  } else {
    await combine([source], offset, leak, ([f]) => f!);
  }
  const report = await detectInVideo({ leak, keys: [{ id: 'bench', key: KEY }], readChipped: version === 3 });
  const acc = accuse({ alignments: scoredAlignments(report.native), ...keyCodewords(KEY, LEDGER) });
  const blindId = report.found ? report.watermarkId : undefined;
  const accused = acc.accused.map((a) => a.watermarkId);
  const innocentT = Math.max(-Infinity, ...acc.tested.filter((t) => !colluders.includes(t.watermarkId)).map((t) => t.t));
  const colluderT = Math.max(-Infinity, ...acc.tested.filter((t) => colluders.includes(t.watermarkId)).map((t) => t.t));
  return {
    colluders, ...(blindId !== undefined ? { blindId } : {}), accused, blind: verdict(blindId, colluders), informed: verdict(accused[0], colluders),
    innocentT, colluderT, threshold: acc.threshold, pilotZ: report.native.pilotZ, ...(psnr !== undefined ? { psnr } : {}),
    ...(version === 2 && c.copies > 0 ? { phase: { found: report.native.signPhase ?? -1, truth: (SIGN_GROUP_FRAMES - (first % SIGN_GROUP_FRAMES)) % SIGN_GROUP_FRAMES } } : {}),
    ...(version === 3 && c.copies > 0 ? { phase: { found: report.native.chipStart ?? -1, truth: first, z: report.native.syncZ ?? 0 } } : {}),
  };
}

async function main(): Promise<void> {
  const trials = Number(arg('trials') ?? process.env.BENCH_COLLUSION_TRIALS ?? 8);
  const deadline = Date.now() + Number(arg('max-minutes') ?? 40) * 60_000;
  const wanted = arg('case')?.split(',');
  const cases = CASES.filter((c) => !wanted || wanted.includes(c.name));
  const dir = arg('keep') ?? (await fs.mkdtemp('/tmp/vigil-collusion-'));
  await fs.mkdir(dir, { recursive: true });
  const exists = (f: string): Promise<boolean> => fs.stat(f).then(() => true, () => false);
  const source = path.join(dir, 'source.mp4');
  if (!(await exists(source))) await makeNaturalSource(source, await naturalPhotos(), { seconds: 40, width: 1280, height: 720, fps: FPS });
  const versions = (arg('versions') ?? '1,2').split(',').map(Number).filter((v): v is MarkVersion => v === 1 || v === 2 || v === 3);
  const pool = cases.some((c) => c.copies > 1) ? COPIES : COPIES.slice(0, 1);
  for (const markVersion of versions) {
    const targets = [];
    for (const id of pool) {
      const output = copyFile(dir, markVersion, id);
      if (!(await exists(output))) targets.push({ output, payload: id });
    }
    if (targets.length > 0) {
      const info = await probeMedia(source);
      await runEmbedPipeline({ info, video: checkEmbeddable(info, { minDuration: 0 }), ext: '.mp4', key: KEY, preset: 'veryfast', targets, markVersion });
    }
  }
  const runs = versions.flatMap((v) => cases.map((c) => ({ c, v, name: `${c.name} v${v}` })));
  console.log(`load ${(await fs.readFile('/proc/loadavg', 'utf8')).trim()}; ledger ${LEDGER.length} sequential IDs, copies for ${pool.join(', ')}`);
  console.log('| case | trial | colluders | blind | informed (accused) | innocent t max / colluder t max / threshold | pilotZ | PSNR of the attack against the copy | sign phase (v2) or chip start (v3) found / true | s |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  // trials outer, cases inner: a run cut short by --max-minutes leaves every case the same count
  const tallies = runs.map(() => ({
    blind: { colluder: 0, nothing: 0, innocent: 0 }, informed: { colluder: 0, nothing: 0, innocent: 0 }, innocentT: -Infinity, minColluderT: Infinity, threshold: 0, n: 0,
    pilotZ: [] as number[], psnr: [] as number[],
  }));
  for (let t = 0; t < trials && Date.now() < deadline; t++) {
    for (const [k, { c, v, name }] of runs.entries()) {
      const tally = tallies[k]!;
      const t0 = Date.now();
      const r = await trial(c, v, dir, source, pool);
      const secs = (Date.now() - t0) / 1000;
      tally.blind[r.blind]++;
      tally.informed[r.informed]++;
      tally.innocentT = Math.max(tally.innocentT, r.innocentT);
      tally.minColluderT = Math.min(tally.minColluderT, r.colluderT);
      tally.threshold = r.threshold;
      tally.n++;
      tally.pilotZ.push(r.pilotZ);
      if (r.psnr !== undefined) tally.psnr.push(r.psnr);
      console.log(`| ${name} | ${t + 1} | ${r.colluders.join('+') || '-'} | ${r.blind}${r.blindId !== undefined ? ` (${r.blindId})` : ''} | ${r.informed}${r.accused.length ? ` (${r.accused.join(', ')})` : ''} | ` +
        `${r.innocentT.toFixed(1)} / ${Number.isFinite(r.colluderT) ? r.colluderT.toFixed(1) : '-'} / ${r.threshold.toFixed(2)} | ${r.pilotZ.toFixed(1)} | ${r.psnr !== undefined ? `${r.psnr.toFixed(1)} dB` : ''} | ` +
        `${r.phase ? `${r.phase.found} / ${r.phase.truth}${r.phase.z !== undefined ? ` (z ${r.phase.z.toFixed(1)})` : ''}` : ''} | ${secs.toFixed(0)} |`);
    }
  }
  const mark = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const summary = runs.map(({ c, name }, k) => {
    const { blind: b, informed: i, pilotZ, psnr, ...x } = tallies[k]!;
    const mean = (a: number[]): string => (a.length ? (a.reduce((s, v) => s + v, 0) / a.length).toFixed(1) : '-');
    const innocentGoal = `innocent 0: ${mark(i.innocent === 0 && b.innocent === 0)}`;
    const colluderGoal = c.kind === 'avg' || c.kind === 'alt' ? `; colluder in > half: ${mark(i.colluder > x.n / 2)}` : '';
    return `| ${name} | ${x.n} | ${b.colluder} / ${b.nothing} / ${b.innocent} | ${i.colluder} / ${i.nothing} / ${i.innocent} | ${x.innocentT.toFixed(1)} | ` +
      `${Number.isFinite(x.minColluderT) ? x.minColluderT.toFixed(1) : '-'} | ${x.threshold.toFixed(2)} | ${mean(pilotZ)} (${Math.min(...pilotZ).toFixed(1)}-${Math.max(...pilotZ).toFixed(1)}) | ` +
      `${psnr.length ? `${mean(psnr)} dB` : ''} | ${innocentGoal}${colluderGoal} |`;
  });
  console.log(`\nload ${(await fs.readFile('/proc/loadavg', 'utf8')).trim()}`);
  console.log('| case | trials | blind: colluder / nothing / innocent | informed: colluder / nothing / innocent | innocent t max | colluder t min (of the best colluder) | threshold | pilotZ mean (min-max) | PSNR mean | goals |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of summary) console.log(s);
  if (!arg('keep')) await fs.rm(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
