import { spawn } from 'node:child_process';

/**
 * Perceptual fingerprints for phase 2. A Fingerprinter turns a 32x32 luma thumbnail into a 64-bit
 * hash; two thumbnails of the same picture (re-encoded, rescaled, slightly cropped) have hashes a
 * few bits apart. pHash below is plain TypeScript; the native engine (native/) can provide the same
 * interface later and be swapped in without touching the callers.
 */

export const THUMB = 32;

export interface Fingerprinter {
  name: string;
  /** A 32x32 luma thumbnail (row-major, 0..255) → a 64-bit hash. */
  hash(luma: Uint8Array): bigint;
}

const N = THUMB;
const COS: number[][] = Array.from({ length: 8 }, (_, u) => Array.from({ length: N }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N))));

/** DCT-based pHash: the 8x8 lowest frequencies of the thumbnail's DCT, each above or below their median. */
export const pHash: Fingerprinter = {
  name: 'phash-dct-32',
  hash(luma) {
    if (luma.length !== N * N) throw new Error(`pHash wants ${N * N} luma samples, got ${luma.length}`);
    // Separable DCT, only the 8 lowest frequencies in each direction are needed.
    const rows: number[][] = Array.from({ length: N }, (_, y) => COS.map((c) => {
      let s = 0;
      for (let x = 0; x < N; x += 1) s += luma[y * N + x]! * c[x]!;
      return s;
    }));
    const coeffs: number[] = [];
    for (let v = 0; v < 8; v += 1) {
      for (let u = 0; u < 8; u += 1) {
        let s = 0;
        for (let y = 0; y < N; y += 1) s += rows[y]![u]! * COS[v]![y]!;
        coeffs.push(s);
      }
    }
    const ac = coeffs.slice(1);
    const median = [...ac].sort((a, b) => a - b)[Math.floor(ac.length / 2)]!;
    let h = 0n;
    for (let i = 0; i < 64; i += 1) h = (h << 1n) | (coeffs[i]! > median ? 1n : 0n);
    return h;
  },
};

export function hamming(a: bigint, b: bigint): number {
  let x = a ^ b;
  let n = 0;
  while (x) { n += Number(x & 1n); x >>= 1n; }
  return n;
}

export interface FrameHash {
  /** Seconds into the video, or the 1-based page of an image set. */
  at: number;
  hash: bigint;
}

/**
 * 32x32 luma thumbnails from any file ffmpeg reads: one per `every` seconds for video, one per image.
 * `crop` (0 < crop ≤ 1) keeps the centre fraction first, so references also cover cropped copies.
 */
export function ffmpegThumbnails(input: string, opts: { every?: number; crop?: number; image?: boolean; maxFrames?: number; timeoutMs?: number } = {}): Promise<Uint8Array[]> {
  const filters: string[] = [];
  if (!opts.image) filters.push(`fps=1/${opts.every ?? 1}`);
  if (opts.crop && opts.crop < 1) filters.push(`crop=iw*${opts.crop}:ih*${opts.crop}`);
  filters.push(`scale=${N}:${N}:flags=area`, 'format=gray');
  const args = ['-v', 'error', '-nostdin', '-i', input, '-vf', filters.join(','), '-frames:v', String(opts.maxFrames ?? 600), '-f', 'rawvideo', 'pipe:1'];
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) { reject(new Error(`ffmpeg could not read ${input}: ${err.trim().split('\n').pop() ?? `exit ${code}`}`)); return; }
      const all = Buffer.concat(chunks);
      const frames: Uint8Array[] = [];
      for (let o = 0; o + N * N <= all.length; o += N * N) frames.push(new Uint8Array(all.subarray(o, o + N * N)));
      resolve(frames);
    });
  });
}

export async function videoHashes(fp: Fingerprinter, file: string, opts: { every?: number; crop?: number; maxFrames?: number } = {}): Promise<FrameHash[]> {
  const every = opts.every ?? 1;
  return (await ffmpegThumbnails(file, { ...opts, every })).map((t, i) => ({ at: i * every, hash: fp.hash(t) }));
}

export async function imageHash(fp: Fingerprinter, file: string, crop?: number): Promise<bigint | undefined> {
  const [thumb] = await ffmpegThumbnails(file, { image: true, maxFrames: 1, ...(crop ? { crop } : {}) });
  return thumb ? fp.hash(thumb) : undefined;
}

export interface FrameMatch {
  at: number;
  referenceAt: number;
  distance: number;
}

export interface Comparison {
  matched: FrameMatch[];
  checked: number;
  /** Median normalized distance (bits / 64) of the matched frames; 1 when none matched. */
  distance: number;
}

/** Each suspect hash against its nearest reference hash; a frame matches within maxDistance (normalized). */
export function compareHashes(suspect: readonly FrameHash[], reference: readonly FrameHash[], maxDistance: number): Comparison {
  const matched: FrameMatch[] = [];
  for (const s of suspect) {
    let best: FrameHash | undefined;
    let bestD = 65;
    for (const r of reference) {
      const d = hamming(s.hash, r.hash);
      if (d < bestD) { bestD = d; best = r; }
    }
    if (best && bestD / 64 <= maxDistance) matched.push({ at: s.at, referenceAt: best.at, distance: bestD / 64 });
  }
  const ds = matched.map((m) => m.distance).sort((a, b) => a - b);
  return { matched, checked: suspect.length, distance: ds.length > 0 ? ds[Math.floor(ds.length / 2)]! : 1 };
}
