#include "embed.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "ecc.h"
#include "pattern.h"

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace vigil {

namespace {
// Where pixel i falls between block centres: the block before it and the weight of the next one
// (edges clamp to the outermost block).
std::pair<int, float> blockInterpolation(int i, int blocks) {
  float u = (static_cast<float>(i) + 0.5f) / kMaskBlock - 0.5f;
  int b = static_cast<int>(std::floor(u));
  float t = u - static_cast<float>(b);
  if (b < 0) return {0, 0.f};
  if (b >= blocks - 1) return {blocks - 1, 0.f};
  return {b, t};
}
}  // namespace

Embedder::Embedder(const uint8_t key[32], int width, int height, int bitDepth, uint32_t payload, float strength, int markVersion)
    : w_(width), h_(height), depth_(bitDepth), version_(markVersion) {
  if (width < 32 || height < 32) throw std::invalid_argument("frame too small (min 32x32)");
  if (bitDepth != 8 && bitDepth != 10) throw std::invalid_argument("bitDepth must be 8 or 10");
  if (payload == 0) throw std::invalid_argument("payload must be 1..2^32-1");
  if (markVersion != kMarkVersionStatic && markVersion != kMarkVersionSigned && markVersion != kMarkVersionChipped)
    throw std::invalid_argument("markVersion must be 1, 2 or 3");
  TileKey tk = makeTileKey(key);
  std::vector<float> cells = tileValues(tk, encodePayload(key, payload));
  double cellPx = static_cast<double>(height) / (kTilesPerHeight * kCells);
  float gain = strength * (bitDepth == 10 ? 4.f : 1.f);
  SeparablePattern sp = makeSeparablePattern(cells, width, height, cellPx, gain);
  // Version 3's sync level rides on every profile value: the rows' two weights sum to one, so the
  // pattern gains it whole, and the frame's chip factor scales it with the tile.
  const float dc = version_ == kMarkVersionChipped ? kChipDcAmp * gain : 0.f;
  profiles_.resize(sp.profiles.size());
  for (size_t i = 0; i < sp.profiles.size(); ++i) profiles_[i] = static_cast<int16_t>(std::lround((sp.profiles[i] + dc) * kPatternOne));
  if (version_ == kMarkVersionSigned) signSeed_ = signSeed(key);
  if (version_ == kMarkVersionChipped) signSeed_ = chipSeed(key);
  rowC0_ = sp.rowC0;
  rowC1_ = sp.rowC1;
  rowW0_.resize(sp.rowW0.size());
  rowW1_.resize(sp.rowW1.size());
  for (size_t i = 0; i < sp.rowW0.size(); ++i) {
    rowW0_[i] = toQ15(sp.rowW0[i]);
    rowW1_[i] = toQ15(sp.rowW1[i]);
  }
  frameW0_ = rowW0_;
  frameW1_ = rowW1_;
  bw_ = (width + kMaskBlock - 1) / kMaskBlock;
  bh_ = (height + kMaskBlock - 1) / kMaskBlock;
  bmask_.assign(static_cast<size_t>(bw_) * bh_, 1.f);
  tmp_.assign(bmask_.size(), 1.f);
  colAct_.assign(static_cast<size_t>(width), 0);
  colSum_.assign(static_cast<size_t>(width), 0);
  expanded16_.assign(static_cast<size_t>(bh_) * width, static_cast<int16_t>(kMaskOne));
  rowBlock_.resize(static_cast<size_t>(height));
  rowT_.resize(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y) {
    auto [b, t] = blockInterpolation(y, bh_);
    rowBlock_[static_cast<size_t>(y)] = b;
    rowT_[static_cast<size_t>(y)] = toQ15(t);
  }
  colBlock_.resize(static_cast<size_t>(width));
  colT_.resize(static_cast<size_t>(width));
  for (int x = 0; x < width; ++x) {
    auto [b, t] = blockInterpolation(x, bw_);
    colBlock_[static_cast<size_t>(x)] = b;
    colT_[static_cast<size_t>(x)] = t;
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
      // Floor 0.6 / cap 1.0 (issue 14 item 0): HEVC at crf 30-32 zeroes a mark of under ~1 level in
      // flat blocks (x265 480p crf 32 kept 9 % of it there, 29 % in texture), and flat blocks are
      // where the detector, which divides by the local host power, gets most of its evidence.
      // Texture above the cap spent the PSNR budget on blocks the detector weighs least.
      float tex = std::min(1.0f, std::max(0.6f, 0.2f + 0.13f * act));
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
    int16_t* e = &expanded16_[static_cast<size_t>(by) * W];
    const float* m = &bmask_[static_cast<size_t>(by) * bw_];
    for (int x = 0; x < W; ++x) {
      int b = colBlock_[static_cast<size_t>(x)];
      float t = colT_[static_cast<size_t>(x)];
      float v = t == 0.f ? m[b] : m[b] + t * (m[b + 1] - m[b]);
      e[x] = static_cast<int16_t>(v * kMaskOne + 0.5f);
    }
  }
}

namespace {
// Fixed-point products as SSSE3's pmulhrsw computes them: round(a * b / 2^15).
inline int mulQ15(int a, int b) { return (a * b + (1 << 14)) >> 15; }

// One row: out = clamp(in + round(pattern * mask)), pattern = w0*p0 + w1*p1 (Q7 levels), mask =
// ea + t*(eb - ea) (Q14), all in 16-bit lanes. The scalar tail computes exactly what the vector
// body does, so the result does not depend on the CPU.
template <typename T>
void applyRow(T* __restrict row, int W, const int16_t* __restrict p0, const int16_t* __restrict p1, int w0, int w1,
              const int16_t* __restrict ea, const int16_t* __restrict eb, int t, int maxv) {
  int x = 0;
#if defined(__SSSE3__)
  const __m128i vw0 = _mm_set1_epi16(static_cast<int16_t>(w0)), vw1 = _mm_set1_epi16(static_cast<int16_t>(w1));
  const __m128i vt = _mm_set1_epi16(static_cast<int16_t>(t)), half = _mm_set1_epi16(32), zero = _mm_setzero_si128();
  const __m128i vmax = _mm_set1_epi16(static_cast<int16_t>(maxv));
  for (; x + 8 <= W; x += 8) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ea + x));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(eb + x));
    __m128i m = _mm_add_epi16(a, _mm_mulhrs_epi16(_mm_sub_epi16(b, a), vt));
    __m128i p = _mm_add_epi16(_mm_mulhrs_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p0 + x)), vw0),
                              _mm_mulhrs_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p1 + x)), vw1));
    // p (Q7) * m (Q14) / 2^15 = delta in Q6; +32 >> 6 rounds half up, as floor(v + 0.5) does.
    __m128i d = _mm_srai_epi16(_mm_add_epi16(_mm_mulhrs_epi16(p, m), half), 6);
    if constexpr (sizeof(T) == 1) {
      __m128i in = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + x)), zero);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(row + x), _mm_packus_epi16(_mm_add_epi16(in, d), zero));
    } else {
      __m128i in = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x));
      __m128i v = _mm_min_epi16(_mm_max_epi16(_mm_add_epi16(in, d), zero), vmax);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row + x), v);
    }
  }
#endif
  for (; x < W; ++x) {
    int m = ea[x] + mulQ15(eb[x] - ea[x], t);
    int p = mulQ15(p0[x], w0) + mulQ15(p1[x], w1);
    int v = static_cast<int>(row[x]) + ((mulQ15(p, m) + 32) >> 6);
    row[x] = static_cast<T>(v < 0 ? 0 : v > maxv ? maxv : v);
  }
}
}  // namespace

void Embedder::nextFrame() {
  const uint64_t f = frame_++;
  if (version_ == kMarkVersionStatic) return;
  const float s = version_ == kMarkVersionSigned ? signFactor(signSeed_, f) : chipFactor(signSeed_, f);
  const int q = static_cast<int>(std::lround(s * 32767.f));
  if (q == factorQ15_) return;
  factorQ15_ = q;
  // At +-1 the weights are negated exactly: (-w) * p rounds as w * (-p) did with the negated
  // profiles of old, so frames off the ramps are unchanged. pmulhrsw takes signed weights.
  const bool whole = q == 32767 || q == -32767;
  for (size_t i = 0; i < rowW0_.size(); ++i) {
    int w0 = rowW0_[i], w1 = rowW1_[i];
    frameW0_[i] = static_cast<int16_t>(whole ? (q > 0 ? w0 : -w0) : mulQ15(w0, q));
    frameW1_[i] = static_cast<int16_t>(whole ? (q > 0 ? w1 : -w1) : mulQ15(w1, q));
  }
}

template <typename T>
void Embedder::apply(T* plane, int stride, int maxv) {
  const int16_t* profiles = profiles_.data();
  const int W = w_;
  for (int y = 0; y < h_; ++y) {
    size_t i = static_cast<size_t>(y);
    int b = rowBlock_[i];
    int b1 = std::min(b + 1, bh_ - 1);
    applyRow(plane + i * stride, W, profiles + static_cast<size_t>(rowC0_[i]) * W, profiles + static_cast<size_t>(rowC1_[i]) * W,
             frameW0_[i], frameW1_[i], &expanded16_[static_cast<size_t>(b) * W], &expanded16_[static_cast<size_t>(b1) * W], rowT_[i], maxv);
  }
}

void Embedder::embed8(uint8_t* plane, int stride) {
  if (depth_ != 8) throw std::invalid_argument("embedder is 10-bit");
  computeMask(plane, stride, 1.f);
  nextFrame();
  apply(plane, stride, 255);
}

void Embedder::embed16(uint16_t* plane, int stride) {
  if (depth_ != 10) throw std::invalid_argument("embedder is 8-bit");
  computeMask(plane, stride, 0.25f);
  nextFrame();
  apply(plane, stride, 1023);
}

}  // namespace vigil
