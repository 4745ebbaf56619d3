/**
 * Synthetic "natural-looking" luma video and pure-JS attacks, shared by the
 * tests (test/native) and the benches. Deterministic from a seed.
 */

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function gaussFactory(r: () => number): () => number {
  return () => {
    const u = Math.max(1e-12, r());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
}

/** Value-noise field on a gx x gy lattice, sampled bilinearly. */
class Field {
  readonly v: Float32Array;
  constructor(
    readonly gx: number,
    readonly gy: number,
    r: () => number,
  ) {
    this.v = new Float32Array((gx + 1) * (gy + 1));
    for (let i = 0; i < this.v.length; i++) this.v[i] = r() * 2 - 1;
  }
  /** u, v in lattice units (wrapping). */
  at(u: number, v: number): number {
    const gx = this.gx,
      gy = this.gy;
    u = ((u % gx) + gx) % gx;
    v = ((v % gy) + gy) % gy;
    const x0 = Math.floor(u),
      y0 = Math.floor(v);
    const fx = u - x0,
      fy = v - y0;
    const sx = fx * fx * (3 - 2 * fx),
      sy = fy * fy * (3 - 2 * fy);
    const w = gx + 1;
    const a = this.v[y0 * w + x0]!,
      b = this.v[y0 * w + x0 + 1]!,
      c = this.v[(y0 + 1) * w + x0]!,
      d = this.v[(y0 + 1) * w + x0 + 1]!;
    return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
  }
}

export interface Scene {
  width: number;
  height: number;
  /** 8-bit luma of frame t (new array). */
  frame(t: number): Uint8Array;
}

/**
 * A panning textured landscape with a flat "sky" band, a few moving textured
 * discs and per-frame grain. Units are relative to the frame so the content
 * scales with the resolution.
 */
export function makeScene(seed: number, width: number, height: number, opts: { grain?: number; pan?: number } = {}): Scene {
  const r = rng(seed);
  const gauss = gaussFactory(r);
  const grain = opts.grain ?? 2;
  const pan = opts.pan ?? 0.004;
  const f1 = new Field(6, 4, r),
    f2 = new Field(24, 14, r),
    f3 = new Field(96, 54, r),
    f4 = new Field(384, 216, r);
  const discs = Array.from({ length: 4 }, () => ({
    x: r(),
    y: 0.35 + r() * 0.55,
    rad: 0.05 + r() * 0.1,
    vx: (r() - 0.5) * 0.01,
    vy: (r() - 0.5) * 0.004,
    level: 40 + r() * 180,
    tex: new Field(32, 32, r),
  }));
  const skyLine = 0.22 + r() * 0.1;
  return {
    width,
    height,
    frame(t: number): Uint8Array {
      const out = new Uint8Array(width * height);
      const ox = t * pan;
      for (let y = 0; y < height; y++) {
        const v = y / height;
        for (let x = 0; x < width; x++) {
          const u = x / height + ox;
          let val: number;
          if (v < skyLine) {
            val = 170 + 40 * v + 6 * f1.at(u * 2, v * 2);
          } else {
            val =
              110 + 45 * f1.at(u * 4, v * 4) + 25 * f2.at(u * 14, v * 14) + 14 * f3.at(u * 54, v * 54) + 9 * f4.at(u * 216, v * 216);
          }
          out[y * width + x] = val;
        }
      }
      for (const d of discs) {
        const cx = (((d.x + d.vx * t) % 1) + 1) % 1,
          cy = d.y + d.vy * Math.sin(t * 0.05);
        const R = d.rad * height;
        const px = cx * width,
          py = cy * height;
        const x0 = Math.max(0, Math.floor(px - R)),
          x1 = Math.min(width - 1, Math.ceil(px + R));
        const y0 = Math.max(0, Math.floor(py - R)),
          y1 = Math.min(height - 1, Math.ceil(py + R));
        for (let y = y0; y <= y1; y++)
          for (let x = x0; x <= x1; x++) {
            const dx = x - px,
              dy = y - py;
            if (dx * dx + dy * dy > R * R) continue;
            out[y * width + x] = d.level + 20 * d.tex.at((dx / R) * 8 + 16, (dy / R) * 8 + 16);
          }
      }
      if (grain > 0) for (let i = 0; i < out.length; i++) out[i] = out[i]! + grain * gauss();
      return out;
    },
  };
}

// ---------------------------------------------------------------- metrics

export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak = 255): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    se += d * d;
  }
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/** Mean SSIM over 8x8 windows with stride 4 (Wang et al. constants). */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, peak = 255): number {
  const C1 = (0.01 * peak) ** 2,
    C2 = (0.03 * peak) ** 2;
  let total = 0,
    n = 0;
  for (let y = 0; y + 8 <= height; y += 4)
    for (let x = 0; x + 8 <= width; x += 4) {
      let sa = 0,
        sb = 0,
        saa = 0,
        sbb = 0,
        sab = 0;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const k = (y + j) * width + x + i;
          const p = a[k]!,
            q = b[k]!;
          sa += p;
          sb += q;
          saa += p * p;
          sbb += q * q;
          sab += p * q;
        }
      const ma = sa / 64,
        mb = sb / 64;
      const va = saa / 64 - ma * ma,
        vb = sbb / 64 - mb * mb,
        cab = sab / 64 - ma * mb;
      total += ((2 * ma * mb + C1) * (2 * cab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      n++;
    }
  return total / n;
}

// ---------------------------------------------------------------- attacks (8-bit planes)

export interface Plane8 {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Area-averaging (downscale) or bilinear (upscale) resize. */
export function resize(p: Plane8, w: number, h: number): Plane8 {
  const out = new Uint8Array(w * h);
  const sx = p.width / w,
    sy = p.height / h;
  if (sx >= 1 && sy >= 1) {
    for (let y = 0; y < h; y++) {
      const ya = Math.floor(y * sy),
        yb = Math.max(ya + 1, Math.floor((y + 1) * sy));
      for (let x = 0; x < w; x++) {
        const xa = Math.floor(x * sx),
          xb = Math.max(xa + 1, Math.floor((x + 1) * sx));
        let s = 0;
        for (let yy = ya; yy < yb; yy++) for (let xx = xa; xx < xb; xx++) s += p.data[yy * p.width + xx]!;
        out[y * w + x] = Math.round(s / ((yb - ya) * (xb - xa)));
      }
    }
  } else {
    for (let y = 0; y < h; y++) {
      const fy = Math.min(p.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const y0 = Math.min(p.height - 2, Math.floor(fy)),
        ty = fy - y0;
      for (let x = 0; x < w; x++) {
        const fx = Math.min(p.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
        const x0 = Math.min(p.width - 2, Math.floor(fx)),
          tx = fx - x0;
        const a = p.data[y0 * p.width + x0]!,
          b = p.data[y0 * p.width + x0 + 1]!,
          c = p.data[(y0 + 1) * p.width + x0]!,
          d = p.data[(y0 + 1) * p.width + x0 + 1]!;
        out[y * w + x] = Math.round((1 - ty) * ((1 - tx) * a + tx * b) + ty * ((1 - tx) * c + tx * d));
      }
    }
  }
  return { data: out, width: w, height: h };
}

export function crop(p: Plane8, x0: number, y0: number, w: number, h: number): Plane8 {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) out.set(p.data.subarray((y + y0) * p.width + x0, (y + y0) * p.width + x0 + w), y * w);
  return { data: out, width: w, height: h };
}

/** Scale content into a frame of (w, h) with black bars (letterbox/pillarbox). */
export function letterbox(p: Plane8, w: number, h: number): Plane8 {
  const s = Math.min(w / p.width, h / p.height);
  const cw = Math.round(p.width * s),
    ch = Math.round(p.height * s);
  const inner = resize(p, cw, ch);
  const out = new Uint8Array(w * h).fill(16);
  const ox = (w - cw) >> 1,
    oy = (h - ch) >> 1;
  for (let y = 0; y < ch; y++) out.set(inner.data.subarray(y * cw, (y + 1) * cw), (y + oy) * w + ox);
  return { data: out, width: w, height: h };
}

export function tone(p: Plane8, opts: { brightness?: number; contrast?: number; gamma?: number }): Plane8 {
  const lut = new Uint8Array(256);
  const b = opts.brightness ?? 0,
    c = opts.contrast ?? 1,
    g = opts.gamma ?? 1;
  for (let i = 0; i < 256; i++) {
    const v = 255 * Math.pow(i / 255, g);
    lut[i] = Math.max(0, Math.min(255, Math.round((v - 128) * c + 128 + b)));
  }
  return { data: p.data.map((v) => lut[v]!), width: p.width, height: p.height };
}

export function addNoise(p: Plane8, sigma: number, seed: number): Plane8 {
  const g = gaussFactory(rng(seed));
  const out = new Uint8Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(p.data[i]! + sigma * g())));
  return { data: out, width: p.width, height: p.height };
}

/** Separable box blur of radius r. */
export function blur(p: Plane8, r: number): Plane8 {
  const { width: w, height: h } = p;
  const tmp = new Float32Array(w * h);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0,
        n = 0;
      for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++, n++) s += p.data[y * w + k]!;
      tmp[y * w + x] = s / n;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0,
        n = 0;
      for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++, n++) s += tmp[k * w + x]!;
      out[y * w + x] = Math.round(s / n);
    }
  return { data: out, width: w, height: h };
}

const DCT8: Float64Array = (() => {
  const m = new Float64Array(64);
  for (let k = 0; k < 8; k++)
    for (let n = 0; n < 8; n++) m[k * 8 + n] = (k === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * n + 1) * k * Math.PI) / 16);
  return m;
})();

/**
 * Compression-like damage: 8x8 DCT, uniform quantization with a step growing
 * with frequency (q * (1 + (u+v)/2)), dead zone, inverse DCT.
 */
export function dctQuantize(p: Plane8, q: number): Plane8 {
  const { width: w, height: h } = p;
  const out = new Uint8Array(p.data);
  const blk = new Float64Array(64),
    c = new Float64Array(64),
    t = new Float64Array(64);
  for (let by = 0; by + 8 <= h; by += 8)
    for (let bx = 0; bx + 8 <= w; bx += 8) {
      for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) blk[j * 8 + i] = p.data[(by + j) * w + bx + i]! - 128;
      for (let k = 0; k < 8; k++)
        for (let i = 0; i < 8; i++) {
          let s = 0;
          for (let n = 0; n < 8; n++) s += DCT8[k * 8 + n]! * blk[n * 8 + i]!;
          t[k * 8 + i] = s;
        }
      for (let k = 0; k < 8; k++)
        for (let l = 0; l < 8; l++) {
          let s = 0;
          for (let n = 0; n < 8; n++) s += DCT8[l * 8 + n]! * t[k * 8 + n]!;
          const step = q * (1 + (k + l) / 2);
          const v = s / step;
          c[k * 8 + l] = Math.abs(v) < 0.6 ? 0 : Math.round(v) * step;
        }
      for (let k = 0; k < 8; k++)
        for (let i = 0; i < 8; i++) {
          let s = 0;
          for (let l = 0; l < 8; l++) s += DCT8[l * 8 + i]! * c[k * 8 + l]!;
          t[k * 8 + i] = s;
        }
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          let s = 0;
          for (let k = 0; k < 8; k++) s += DCT8[k * 8 + j]! * t[k * 8 + i]!;
          out[(by + j) * w + bx + i] = Math.max(0, Math.min(255, Math.round(s + 128)));
        }
    }
  return { data: out, width: w, height: h };
}

/** Left-right mirror. */
export function mirror(p: Plane8): Plane8 {
  const out = new Uint8Array(p.data.length);
  for (let y = 0; y < p.height; y++)
    for (let x = 0; x < p.width; x++) out[y * p.width + x] = p.data[y * p.width + p.width - 1 - x]!;
  return { data: out, width: p.width, height: p.height };
}

/**
 * Burnt-in overlays: a semi-opaque bright "logo" box with a dark glyph pattern in the top-right
 * corner (`logo` = its width as a fraction of the frame) and, optionally, two lines of
 * white "subtitle" glyphs near the bottom.
 */
export function overlay(p: Plane8, opts: { logo?: number; subtitles?: boolean; seed?: number } = {}): Plane8 {
  const { width: w, height: h } = p;
  const out = new Uint8Array(p.data);
  const r = rng(opts.seed ?? 5);
  const lw = Math.round(w * (opts.logo ?? 0.12)),
    lh = Math.round(lw * 0.45);
  const lx = w - lw - Math.round(w * 0.03),
    ly = Math.round(h * 0.04);
  for (let y = ly; y < ly + lh; y++)
    for (let x = lx; x < lx + lw; x++) {
      const glyph = ((Math.floor(((x - lx) / lw) * 6) + Math.floor(((y - ly) / lh) * 3)) & 1) === 0;
      const v = glyph ? 40 : 235;
      out[y * w + x] = Math.round(0.3 * out[y * w + x]! + 0.7 * v);
    }
  if (opts.subtitles) {
    const ch = Math.max(4, Math.round(h * 0.045));
    for (let line = 0; line < 2; line++) {
      const y0 = Math.round(h * 0.8) + line * Math.round(ch * 1.4);
      const len = Math.round(w * (0.45 + 0.2 * r()));
      const x0 = (w - len) >> 1;
      for (let x = x0; x < x0 + len; x += Math.round(ch * 0.7)) {
        if (r() < 0.15) continue; // spaces
        const gw = Math.round(ch * 0.55);
        for (let y = y0; y < y0 + ch && y < h; y++)
          for (let xx = x; xx < x + gw && xx < w; xx++) if (r() < 0.55) out[y * w + xx] = 235;
      }
    }
  }
  return { data: out, width: w, height: h };
}

/** A "title": consecutive shots of distinct panning scenes, rendered at any time in seconds. */
export function makeTitle(seed: number, width: number, height: number, opts: { shotSeconds?: number; grain?: number } = {}): (sec: number) => Plane8 {
  const shotSeconds = opts.shotSeconds ?? 7;
  const shots = new Map<number, Scene>();
  return (sec) => {
    const k = Math.floor(sec / shotSeconds);
    let scene = shots.get(k);
    if (!scene) {
      scene = makeScene(seed * 1000 + k * 17 + 1, width, height, { pan: 0.006, ...(opts.grain === undefined ? {} : { grain: opts.grain }) });
      shots.set(k, scene);
    }
    return { data: scene.frame((sec - k * shotSeconds) * 10), width, height };
  };
}

/** Top-bottom mirror. */
export function flipVertical(p: Plane8): Plane8 {
  const out = new Uint8Array(p.data.length);
  for (let y = 0; y < p.height; y++) out.set(p.data.subarray((p.height - 1 - y) * p.width, (p.height - y) * p.width), y * p.width);
  return { data: out, width: p.width, height: p.height };
}

/** `p` placed at (x, y) on a w x h canvas of one level (bands of any size, off-centre too). */
export function pad(p: Plane8, w: number, h: number, x: number, y: number, level = 16): Plane8 {
  const out = new Uint8Array(w * h).fill(level);
  for (let r = 0; r < p.height; r++) out.set(p.data.subarray(r * p.width, (r + 1) * p.width), (r + y) * w + x);
  return { data: out, width: w, height: h };
}

/** Rotated by `deg` degrees about the centre (bilinear), corners black, same size. */
export function rotate(p: Plane8, deg: number): Plane8 {
  const t = (deg * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  const cx = (p.width - 1) / 2;
  const cy = (p.height - 1) / 2;
  const out = new Uint8Array(p.data.length);
  for (let y = 0; y < p.height; y++)
    for (let x = 0; x < p.width; x++) {
      const sx = c * (x - cx) - s * (y - cy) + cx;
      const sy = s * (x - cx) + c * (y - cy) + cy;
      if (sx < 0 || sy < 0 || sx > p.width - 1 || sy > p.height - 1) continue;
      const x0 = Math.min(p.width - 2, Math.floor(sx));
      const y0 = Math.min(p.height - 2, Math.floor(sy));
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * p.width + x0;
      const d = p.data;
      out[y * p.width + x] = Math.round((1 - fy) * ((1 - fx) * d[i]! + fx * d[i + 1]!) + fy * ((1 - fx) * d[i + p.width]! + fx * d[i + p.width + 1]!));
    }
  return { data: out, width: p.width, height: p.height };
}
