/**
 * The mean of each pixel's (2r+1)² neighbourhood in a width × height float plane, windows clamped at
 * the edges, computed as two separable passes. The estimation attack (a copy's mean frame minus
 * this, which keeps the fine pattern and drops the content's broad shapes) uses it in the
 * mark-version test and the collusion bench.
 */
export function boxMean(p: Float32Array, width: number, height: number, r: number): Float32Array {
  const tmp = new Float32Array(p.length);
  const out = new Float32Array(p.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      let c = 0;
      for (let k = Math.max(0, x - r); k <= Math.min(width - 1, x + r); k++, c++) s += p[y * width + k]!;
      tmp[y * width + x] = s / c;
    }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      let c = 0;
      for (let k = Math.max(0, y - r); k <= Math.min(height - 1, y + r); k++, c++) s += tmp[k * width + x]!;
      out[y * width + x] = s / c;
    }
  return out;
}
