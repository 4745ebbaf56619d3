#include "embed.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ecc.h"
#include "pattern.h"

namespace vigil {

Embedder::Embedder(const uint8_t key[32], int width, int height, int bitDepth, uint32_t payload, float strength)
    : w_(width), h_(height), depth_(bitDepth) {
  if (width < 32 || height < 32) throw std::invalid_argument("frame too small (min 32x32)");
  if (bitDepth != 8 && bitDepth != 10) throw std::invalid_argument("bitDepth must be 8 or 10");
  if (payload == 0) throw std::invalid_argument("payload must be 1..2^32-1");
  TileKey tk = makeTileKey(key);
  std::vector<float> cells = tileValues(tk, encodePayload(key, payload));
  double cellPx = static_cast<double>(height) / (kTilesPerHeight * kCells);
  float gain = strength * (bitDepth == 10 ? 4.f : 1.f);
  renderPattern(cells, width, height, cellPx, gain, pattern_);
  bw_ = (width + kMaskBlock - 1) / kMaskBlock;
  bh_ = (height + kMaskBlock - 1) / kMaskBlock;
  bmask_.assign(static_cast<size_t>(bw_) * bh_, 1.f);
  tmp_.assign(bmask_.size(), 1.f);
  expanded_.assign(static_cast<size_t>(bh_) * width, 1.f);
  colAct_.assign(static_cast<size_t>(width), 0);
  colSum_.assign(static_cast<size_t>(width), 0);
  rowBlock_.resize(static_cast<size_t>(height));
  rowT_.resize(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y) {
    float u = (y + 0.5f) / kMaskBlock - 0.5f;
    int b = static_cast<int>(std::floor(u));
    float t = u - static_cast<float>(b);
    if (b < 0) { b = 0; t = 0.f; }
    if (b >= bh_ - 1) { b = bh_ - 1; t = 0.f; }
    rowBlock_[static_cast<size_t>(y)] = b;
    rowT_[static_cast<size_t>(y)] = t;
  }
}

// Block statistics on every 4th row: mean |dx|+|dy| (texture) and mean level.
template <typename T>
void Embedder::computeMask(const T* plane, int stride, float scale) {
  const int W = w_;
  for (int by = 0; by < bh_; ++by) {
    std::fill(colAct_.begin(), colAct_.end(), 0u);
    std::fill(colSum_.begin(), colSum_.end(), 0u);
    int y0 = by * kMaskBlock, y1 = std::min(h_ - 1, y0 + kMaskBlock);
    int rows = 0;
    uint32_t* __restrict ca = colAct_.data();
    uint32_t* __restrict cs = colSum_.data();
    for (int y = y0 + 1; y < y1; y += 4) {
      const T* __restrict r = plane + static_cast<size_t>(y) * stride;
      const T* __restrict d = r + stride;
      for (int x = 0; x < W - 1; ++x) {
        int a = static_cast<int>(r[x]);
        int dx = static_cast<int>(r[x + 1]) - a;
        int dy = static_cast<int>(d[x]) - a;
        ca[x] += static_cast<uint32_t>((dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy));
        cs[x] += static_cast<uint32_t>(a);
      }
      ++rows;
    }
    if (rows == 0) rows = 1;
    for (int bx = 0; bx < bw_; ++bx) {
      int x0 = bx * kMaskBlock, x1 = std::min(W - 1, x0 + kMaskBlock);
      uint64_t sa = 0, ss = 0;
      for (int x = x0; x < x1; ++x) { sa += ca[x]; ss += cs[x]; }
      float n = static_cast<float>(rows * std::max(1, x1 - x0));
      float act = static_cast<float>(sa) / n * scale;   // in 8-bit levels
      float mean = static_cast<float>(ss) / n * scale;
      float tex = std::min(1.6f, std::max(0.3f, 0.2f + 0.13f * act));
      float lum = mean < 48.f ? 0.35f + 0.65f * mean / 48.f : 1.f;
      tmp_[static_cast<size_t>(by) * bw_ + bx] = tex * lum;
    }
  }
  // 3x3 smoothing in the block domain: no abrupt changes of strength.
  for (int by = 0; by < bh_; ++by)
    for (int bx = 0; bx < bw_; ++bx) {
      float s = 0.f; int n = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          int yy = by + dy, xx = bx + dx;
          if (yy < 0 || yy >= bh_ || xx < 0 || xx >= bw_) continue;
          s += tmp_[static_cast<size_t>(yy) * bw_ + xx]; ++n;
        }
      // take the min of the block and its smoothed neighbourhood: flat blocks stay weak
      float own = tmp_[static_cast<size_t>(by) * bw_ + bx];
      bmask_[static_cast<size_t>(by) * bw_ + bx] = std::min(own * 1.25f, s / static_cast<float>(n));
    }
  // horizontal linear interpolation of each block row to full width
  for (int by = 0; by < bh_; ++by) {
    float* e = &expanded_[static_cast<size_t>(by) * W];
    const float* m = &bmask_[static_cast<size_t>(by) * bw_];
    for (int x = 0; x < W; ++x) {
      float u = (x + 0.5f) / kMaskBlock - 0.5f;
      int b = static_cast<int>(std::floor(u));
      float t = u - static_cast<float>(b);
      if (b < 0) { b = 0; t = 0.f; }
      if (b >= bw_ - 1) { b = bw_ - 1; t = 0.f; }
      e[x] = t == 0.f ? m[b] : m[b] + t * (m[b + 1] - m[b]);
    }
  }
}

template <typename T>
void Embedder::apply(T* plane, int stride, float maxv) {
  const int W = w_;
  for (int y = 0; y < h_; ++y) {
    int b = rowBlock_[static_cast<size_t>(y)];
    int b1 = std::min(b + 1, bh_ - 1);
    float t = rowT_[static_cast<size_t>(y)];
    const float* __restrict ea = &expanded_[static_cast<size_t>(b) * W];
    const float* __restrict eb = &expanded_[static_cast<size_t>(b1) * W];
    const float* __restrict pat = &pattern_[static_cast<size_t>(y) * W];
    T* __restrict row = plane + static_cast<size_t>(y) * stride;
    for (int x = 0; x < W; ++x) {
      float m = ea[x] + t * (eb[x] - ea[x]);
      float v = static_cast<float>(row[x]) + pat[x] * m + 0.5f;
      v = v < 0.f ? 0.f : v;
      v = v > maxv ? maxv : v;
      row[x] = static_cast<T>(static_cast<int>(v));
    }
  }
}

void Embedder::embed8(uint8_t* plane, int stride) {
  if (depth_ != 8) throw std::invalid_argument("embedder is 10-bit");
  computeMask(plane, stride, 1.f);
  apply(plane, stride, 255.f);
}

void Embedder::embed16(uint16_t* plane, int stride) {
  if (depth_ != 10) throw std::invalid_argument("embedder is 8-bit");
  computeMask(plane, stride, 0.25f);
  apply(plane, stride, 1023.f);
}

}  // namespace vigil
