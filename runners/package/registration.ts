/**
 * Registration of a re-stream recording against the packaged title: where in the packaged picture
 * the recorded one sits (crop scale and position, a small rotation) and how recorded time maps to
 * the title's (offset and rate: a recording sped up or slowed down). Pure numbers on luma planes;
 * decoding is the caller's (detect-restream.ts).
 *
 * Coordinates are in units of the picture height, so a rotation is a rotation whatever the aspect:
 * a point p of the packaged picture is seen in the recording at
 *   rec = (aspect/2, 1/2) + S⁻¹ · R(−θ) · (p − c),   S = diag(sx, sy),
 * i.e. the recording shows the region of the packaged picture centred on c, sx by sy of it wide
 * and high, turned by θ. The recording is decoded to the packaged working raster, so a plain
 * rescale (any size, any aspect change) is the identity and only crops and turns remain.
 * Recorded time t is packaged time offset + rate · t.
 */
import type { GraySize } from './gray-frames.js';

export interface Geometry {
  /** Centre of the recorded region in the packaged picture (height units). */
  cx: number;
  cy: number;
  /** Width and height of the recorded region as a share of the packaged picture. */
  sx: number;
  sy: number;
  /** Turn of the recorded region, radians. */
  angle: number;
}

export interface Timing {
  /** Packaged time at recorded time 0, seconds. */
  offset: number;
  /** Packaged seconds per recorded second (1.05: the recording plays 5 % fast). */
  rate: number;
}

/** A run of equally spaced frames on one raster, frame i at `start + i / fps` seconds. */
export interface FrameRun {
  size: GraySize;
  fps: number;
  start: number;
  frames: readonly ArrayLike<number>[];
}

export function identityGeometry(size: GraySize): Geometry {
  return { cx: size.width / size.height / 2, cy: 0.5, sx: 1, sy: 1, angle: 0 };
}

export function isIdentity(g: Geometry, size: GraySize, tolerance = 1e-3): boolean {
  const id = identityGeometry(size);
  return Math.abs(g.cx - id.cx) < tolerance && Math.abs(g.cy - id.cy) < tolerance && Math.abs(g.sx - 1) < tolerance
    && Math.abs(g.sy - 1) < tolerance && Math.abs(g.angle) < tolerance;
}

/**
 * The recording warped onto the packaged raster: `out[i]` is the recorded picture at packaged pixel i
 * (bilinear), `mask[i]` = 1 where the recording shows that pixel at least `margin` pixels inside its
 * edges (a crop's or a turn's border is blended with black or blur), else 0 and out[i] = 0.
 * `rec` and the output share one raster size.
 */
export function warpToPackage(rec: ArrayLike<number>, size: GraySize, g: Geometry, out: Float64Array, mask: Uint8Array, margin = 1.5): number {
  const { width: w, height: h } = size;
  const cos = Math.cos(-g.angle);
  const sin = Math.sin(-g.angle);
  const aspectHalf = w / h / 2;
  let valid = 0;
  for (let y = 0; y < h; y++) {
    const py = (y + 0.5) / h - g.cy;
    for (let x = 0; x < w; x++) {
      const px = (x + 0.5) / h - g.cx;
      const rx = ((cos * px - sin * py) / g.sx + aspectHalf) * h - 0.5;
      const ry = ((sin * px + cos * py) / g.sy + 0.5) * h - 0.5;
      const i = y * w + x;
      // (1e-9: rounding must not drop a pixel that sits exactly on the margin.)
      if (rx < margin - 0.5 - 1e-9 || ry < margin - 0.5 - 1e-9 || rx > w - 0.5 - margin + 1e-9 || ry > h - 0.5 - margin + 1e-9
        || x + 0.5 < margin || y + 0.5 < margin || x + 0.5 > w - margin || y + 0.5 > h - margin) {
        out[i] = 0;
        mask[i] = 0;
        continue;
      }
      const x0 = Math.min(w - 2, Math.max(0, Math.floor(rx)));
      const y0 = Math.min(h - 2, Math.max(0, Math.floor(ry)));
      const fx = rx - x0;
      const fy = ry - y0;
      const r0 = y0 * w + x0;
      const top = rec[r0]! + (rec[r0 + 1]! - rec[r0]!) * fx;
      const bottom = rec[r0 + w]! + (rec[r0 + w + 1]! - rec[r0 + w]!) * fx;
      out[i] = top + (bottom - top) * fy;
      mask[i] = 1;
      valid++;
    }
  }
  return valid;
}

/** Normalised cross-correlation of a and b over the pixels where mask is 1 (0 when either is flat). */
export function maskedNcc(a: ArrayLike<number>, b: ArrayLike<number>, mask: Uint8Array): number {
  let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = a[i]!;
    const y = b[i]!;
    n++; sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
  }
  if (n < 16) return 0;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  if (va <= 1e-9 || vb <= 1e-9) return 0;
  return (sab - (sa * sb) / n) / Math.sqrt(va * vb);
}

/** Mean over f×f blocks: a plane `f` times smaller each way (the registration rasters). */
export function shrink(plane: ArrayLike<number>, size: GraySize, f: number): Uint8Array {
  const w = Math.floor(size.width / f);
  const h = Math.floor(size.height / f);
  const out = new Uint8Array(w * h);
  const area = f * f;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let yy = y * f; yy < (y + 1) * f; yy++) for (let xx = x * f, row = yy * size.width; xx < (x + 1) * f; xx++) s += plane[row + xx]!;
      out[y * w + x] = Math.round(s / area);
    }
  }
  return out;
}

export function shrunkSize(size: GraySize, f: number): GraySize {
  return { width: Math.floor(size.width / f), height: Math.floor(size.height / f) };
}

/** Mean NCC of the recorded planes, warped by g, against the packaged planes they pair with. */
function geometryScore(pairs: readonly { rec: ArrayLike<number>; ref: ArrayLike<number> }[], size: GraySize, g: Geometry): number {
  const warped = new Float64Array(size.width * size.height);
  const mask = new Uint8Array(size.width * size.height);
  let s = 0;
  for (const p of pairs) {
    // A region showing under a third of the picture is not a reading of it.
    if (warpToPackage(p.rec, size, g, warped, mask) < mask.length / 3) return -1;
    s += maskedNcc(warped, p.ref, mask);
  }
  return pairs.length ? s / pairs.length : -1;
}

export interface GeometrySearch {
  /** Shares of the picture a crop may keep, searched (default 1, 0.95 … 0.75). */
  scales?: readonly number[];
  /** Turns searched, degrees (default 0, ±1.5, ±3). */
  anglesDegrees?: readonly number[];
  /** Grid step of the crop centre, share of the picture height (default 0.025). */
  step?: number;
}

/**
 * The crop and turn that best explain the pairs (recorded plane, packaged plane at the same packaged
 * time): every scale × centre × angle of a coarse grid, then a local descent on all five parameters.
 */
export function estimateGeometry(pairs: readonly { rec: ArrayLike<number>; ref: ArrayLike<number> }[], size: GraySize, search: GeometrySearch = {}): { geometry: Geometry; score: number } {
  const aspect = size.width / size.height;
  const scales = search.scales ?? [1, 0.95, 0.9, 0.85, 0.8, 0.75];
  const angles = (search.anglesDegrees ?? [0, -1.5, 1.5, -3, 3]).map((d) => (d * Math.PI) / 180);
  const step = search.step ?? 0.025;
  let best = identityGeometry(size);
  let bestScore = geometryScore(pairs, size, best);
  for (const s of scales) {
    // The region stays inside the picture: its centre ranges over what the scale leaves free.
    const freeX = (1 - s) * aspect / 2;
    const freeY = (1 - s) / 2;
    const nx = Math.max(0, Math.round(freeX / step));
    const ny = Math.max(0, Math.round(freeY / step));
    for (const angle of angles) {
      for (let ix = -nx; ix <= nx; ix++) {
        for (let iy = -ny; iy <= ny; iy++) {
          const g = { cx: aspect / 2 + (nx ? (ix / nx) * freeX : 0), cy: 0.5 + (ny ? (iy / ny) * freeY : 0), sx: s, sy: s, angle };
          const score = geometryScore(pairs, size, g);
          if (score > bestScore) { bestScore = score; best = g; }
        }
      }
    }
  }
  return refineGeometry(pairs, size, best, { centre: step / 2, scale: 0.025, angle: (0.75 * Math.PI) / 180 });
}

/** Coordinate descent from g, halving each step until it is below a twentieth of a pixel. */
export function refineGeometry(pairs: readonly { rec: ArrayLike<number>; ref: ArrayLike<number> }[], size: GraySize, g: Geometry, steps: { centre: number; scale: number; angle: number }): { geometry: Geometry; score: number } {
  let best = { ...g };
  let bestScore = geometryScore(pairs, size, best);
  let { centre, scale, angle } = steps;
  const floor = 0.05 / size.height;
  while (centre > floor) {
    let moved = true;
    while (moved) {
      moved = false;
      const tries: Partial<Geometry>[] = [
        { cx: best.cx + centre }, { cx: best.cx - centre }, { cy: best.cy + centre }, { cy: best.cy - centre },
        { sx: best.sx + scale, sy: best.sy + scale }, { sx: best.sx - scale, sy: best.sy - scale },
        { sx: best.sx + scale }, { sx: best.sx - scale }, { sy: best.sy + scale }, { sy: best.sy - scale },
        { angle: best.angle + angle }, { angle: best.angle - angle },
      ];
      for (const t of tries) {
        const cand = { ...best, ...t };
        if (cand.sx <= 0.3 || cand.sy <= 0.3 || cand.sx > 1.3 || cand.sy > 1.3) continue;
        const score = geometryScore(pairs, size, cand);
        if (score > bestScore + 1e-6) { bestScore = score; best = cand; moved = true; }
      }
    }
    centre /= 2; scale /= 2; angle /= 2;
  }
  return { geometry: best, score: bestScore };
}

/** Zero-mean, unit-variance copy of a plane over the mask (0 outside it), for fast correlation by dot product. */
function standardise(plane: ArrayLike<number>, mask: Uint8Array): Float32Array {
  const out = new Float32Array(mask.length);
  let n = 0, s = 0, ss = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) { n++; s += plane[i]!; ss += plane[i]! * plane[i]!; }
  const mean = n ? s / n : 0;
  const sd = n ? Math.sqrt(Math.max(0, ss / n - mean * mean)) : 0;
  if (sd < 0.5) return out;
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[i] = (plane[i]! - mean) / sd / n;
  return out;
}

/**
 * Each frame less the mean of its neighbours within `halfWindow` seconds: what changes from frame to
 * frame (motion, grain, cuts). Slow change (a zoom, a pan) cancels, so a frame is like no other but
 * itself and timing cannot trade a time error for a crop error (a zoom looks like a crop).
 */
export function temporalDetail(run: FrameRun, halfWindow = 0.5): FrameRun {
  const n = run.frames.length;
  const px = run.size.width * run.size.height;
  const h = Math.max(1, Math.round(halfWindow * run.fps));
  const sum = new Float64Array(px);
  let from = 0, to = -1;
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    while (to < Math.min(n - 1, i + h)) { to++; const f = run.frames[to]!; for (let p = 0; p < px; p++) sum[p] = sum[p]! + f[p]!; }
    while (from < i - h) { const f = run.frames[from]!; for (let p = 0; p < px; p++) sum[p] = sum[p]! - f[p]!; from++; }
    const count = to - from + 1;
    const f = run.frames[i]!;
    const d = new Float32Array(px);
    for (let p = 0; p < px; p++) d[p] = f[p]! - sum[p]! / count;
    out.push(d);
  }
  return { ...run, frames: out };
}

export interface TimingSearch {
  /** Coarse offset (e.g. from fingerprints) and how far from it the offset at recorded time 0 may lie, seconds. */
  around: number;
  radius: number;
  /** Rates searched: [min, max] (default 0.88 … 1.12, a recording up to 12 % slow or fast). */
  rates?: readonly [number, number];
  /** Recorded frames compared, at most (default 240, evenly spaced). */
  samples?: number;
}

/**
 * Offset and rate: recorded frames (warped by g) against every packaged frame they could be, then the
 * line packaged = offset + rate · recorded that runs through the best matches. Stage one searches the
 * rate range coarsely on the first minute (where a rate error drifts least); stage two refines both
 * on every sample.
 */
export function estimateTiming(rec: FrameRun, ref: FrameRun, g: Geometry, search: TimingSearch): { timing: Timing; score: number } {
  const size = ref.size;
  const pixels = size.width * size.height;
  const [rateMin, rateMax] = search.rates ?? [0.88, 1.12];
  const warped = new Float64Array(pixels);
  const mask = new Uint8Array(pixels);
  const count = Math.min(rec.frames.length, search.samples ?? 240);
  const sampled: { t: number; plane: Float32Array }[] = [];
  let maskReady = false;
  for (let n = 0; n < count; n++) {
    const j = count === 1 ? 0 : Math.round((n * (rec.frames.length - 1)) / (count - 1));
    warpToPackage(rec.frames[j]!, size, g, warped, mask, 1);
    maskReady = true;
    sampled.push({ t: rec.start + j / rec.fps, plane: standardise(warped, mask) });
  }
  if (!maskReady || ref.frames.length === 0) return { timing: { offset: search.around, rate: 1 }, score: -1 };
  const refStd = ref.frames.map((f) => standardise(f, mask));
  // sim[n][k]: correlation of sample n with packaged frame k, within the frames the search can reach.
  const lo = search.around - search.radius;
  const hi = search.around + search.radius;
  const sim = sampled.map(({ t, plane }) => {
    const row = new Float32Array(ref.frames.length).fill(Number.NaN);
    const from = Math.max(0, Math.floor((lo + Math.min(rateMin * t, rateMax * t) - ref.start) * ref.fps) - 1);
    const to = Math.min(ref.frames.length - 1, Math.ceil((hi + Math.max(rateMin * t, rateMax * t) - ref.start) * ref.fps) + 1);
    for (let k = from; k <= to; k++) {
      const r = refStd[k]!;
      let d = 0;
      for (let i = 0; i < pixels; i++) d += plane[i]! * r[i]!;
      row[k] = d;
    }
    return row;
  });
  const score = (offset: number, rate: number, upTo: number): number => {
    let s = 0, n = 0;
    for (let m = 0; m < upTo; m++) {
      const pos = (offset + rate * sampled[m]!.t - ref.start) * ref.fps;
      const k = Math.floor(pos);
      const row = sim[m]!;
      if (k < 0 || k + 1 >= row.length) continue;
      const a = row[k]!, b = row[k + 1]!;
      if (Number.isNaN(a) || Number.isNaN(b)) continue;
      s += a + (b - a) * (pos - k);
      n++;
    }
    // A line that leaves the packaged span for most of the samples is no alignment.
    return n >= upTo / 2 ? s / n : -1;
  };
  const minute = Math.max(2, sampled.filter((s) => s.t - rec.start <= 60).length);
  let best = { offset: search.around, rate: 1 };
  let bestScore = -Infinity;
  const frameStep = 1 / ref.fps;
  for (let step = 0; rateMin + step * 0.005 <= rateMax + 1e-9; step++) {
    const rate = rateMin + step * 0.005;
    for (let offset = lo; offset <= hi + 1e-9; offset += frameStep / 2) {
      const s = score(offset, rate, minute);
      if (s > bestScore) { bestScore = s; best = { offset, rate }; }
    }
  }
  const span = Math.max(1, sampled[sampled.length - 1]!.t - rec.start);
  const coarse = best;
  bestScore = -Infinity;
  // Rate steps that drift a quarter frame over the recording; offsets in quarter frames.
  const rateStep = Math.max(1e-5, frameStep / 4 / span);
  for (let rate = Math.max(rateMin, coarse.rate - 0.006); rate <= Math.min(rateMax, coarse.rate + 0.006) + 1e-12; rate += rateStep) {
    for (let offset = coarse.offset - frameStep * 2; offset <= coarse.offset + frameStep * 2 + 1e-9; offset += frameStep / 4) {
      const s = score(offset, rate, sampled.length);
      if (s > bestScore) { bestScore = s; best = { offset, rate }; }
    }
  }
  return { timing: best, score: bestScore };
}
