/**
 * The mean of each pixel's (2r+1)² neighbourhood in a width × height float plane, windows clamped at
 * the edges, computed as two separable passes. The estimation attack (a copy's mean frame minus
 * this, which keeps the fine pattern and drops the content's broad shapes) uses it in the
 * mark-version test and the collusion bench.
 */
export function boxMean(p: Float32Array, width: number, height: number, r: number): Float32Array {
  const tmp = new Float32Array(p.length);
  const out = new Float32Array(p.length);
  // running sums in float64: the sliding-window attacks call this once per frame, where the direct
  // (2r+1)-tap sum per pixel cost more than the rest of the attack
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let s = 0;
    for (let k = 0; k <= Math.min(width - 1, r); k++) s += p[row + k]!;
    for (let x = 0; x < width; x++) {
      const lo = Math.max(0, x - r);
      const hi = Math.min(width - 1, x + r);
      tmp[row + x] = s / (hi - lo + 1);
      if (x + r + 1 < width) s += p[row + x + r + 1]!;
      if (x - r >= 0) s -= p[row + x - r]!;
    }
  }
  const col = new Float64Array(width);
  for (let k = 0; k <= Math.min(height - 1, r); k++) for (let x = 0; x < width; x++) col[x] = col[x]! + tmp[k * width + x]!;
  for (let y = 0; y < height; y++) {
    const n = Math.min(height - 1, y + r) - Math.max(0, y - r) + 1;
    for (let x = 0; x < width; x++) out[y * width + x] = col[x]! / n;
    const add = y + r + 1 < height ? (y + r + 1) * width : -1;
    const sub = y - r >= 0 ? (y - r) * width : -1;
    for (let x = 0; x < width; x++) col[x] = col[x]! + (add >= 0 ? tmp[add + x]! : 0) - (sub >= 0 ? tmp[sub + x]! : 0);
  }
  return out;
}
