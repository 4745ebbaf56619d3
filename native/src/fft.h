#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

namespace vigil {

// Tiny radix-2 2-D FFT of an n x n plane in split format (re[], im[]), with the twiddles and the
// bit-reversal order computed once per size. The detector runs thousands of 64x64 transforms per
// result(); std::complex<float> multiplication (with its NaN/Inf checks) and twiddles rebuilt by
// repeated multiplication made them twice as slow.
class Fft2d {
 public:
  explicit Fft2d(int n) : n_(n), rev_(static_cast<size_t>(n)), cos_(static_cast<size_t>(n / 2)), sin_(static_cast<size_t>(n / 2)) {
    int bits = 0;
    while ((1 << bits) < n) ++bits;
    for (int i = 0; i < n; ++i) {
      int r = 0;
      for (int b = 0; b < bits; ++b)
        if (i & (1 << b)) r |= 1 << (bits - 1 - b);
      rev_[static_cast<size_t>(i)] = r;
    }
    for (int k = 0; k < n / 2; ++k) {
      cos_[static_cast<size_t>(k)] = static_cast<float>(std::cos(2 * M_PI * k / n));
      sin_[static_cast<size_t>(k)] = static_cast<float>(std::sin(2 * M_PI * k / n));
    }
  }
  int size() const { return n_; }

  // In place; the inverse is not scaled by 1/n^2 (only peak positions and ratios are used).
  // Rows first, then columns, each as a pass over whole rows (transposing in between): every
  // butterfly then runs across n contiguous floats at once, which the compiler vectorises, where a
  // column walked with stride n ran one float at a time. Each element sees the same operations in
  // the same order as a line-by-line transform, so the results are the same to the bit.
  void transform(float* re, float* im, bool inverse) const {
    transpose(re);
    transpose(im);
    columns(re, im, inverse);
    transpose(re);
    transpose(im);
    columns(re, im, inverse);
  }

 private:
  void transpose(float* p) const {
    const int n = n_;
    for (int y = 0; y < n; ++y)
      for (int x = y + 1; x < n; ++x) std::swap(p[y * n + x], p[x * n + y]);
  }

  // The 1-D transform of every column: row i of the plane is element i of all n columns.
  void columns(float* re, float* im, bool inverse) const {
    const int n = n_;
    for (int i = 0; i < n; ++i) {
      int j = rev_[static_cast<size_t>(i)];
      if (i < j) {
        std::swap_ranges(re + i * n, re + i * n + n, re + j * n);
        std::swap_ranges(im + i * n, im + i * n + n, im + j * n);
      }
    }
    const float sign = inverse ? 1.f : -1.f;
    for (int len = 2; len <= n; len <<= 1) {
      const int half = len / 2, step = n / len;
      for (int i = 0; i < n; i += len)
        for (int j = 0; j < half; ++j) {
          const float wr = cos_[static_cast<size_t>(j * step)], wi = sign * sin_[static_cast<size_t>(j * step)];
          float* __restrict ar = re + (i + j) * n;
          float* __restrict ai = im + (i + j) * n;
          float* __restrict br = re + (i + j + half) * n;
          float* __restrict bi = im + (i + j + half) * n;
          for (int x = 0; x < n; ++x) {
            const float vr = br[x] * wr - bi[x] * wi, vi = br[x] * wi + bi[x] * wr;
            br[x] = ar[x] - vr;
            bi[x] = ai[x] - vi;
            ar[x] += vr;
            ai[x] += vi;
          }
        }
    }
  }
  int n_;
  std::vector<int> rev_;
  std::vector<float> cos_, sin_;
};

}  // namespace vigil
