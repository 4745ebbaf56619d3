#pragma once
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
  void transform(float* re, float* im, bool inverse) const {
    for (int r = 0; r < n_; ++r) line(re + r * n_, im + r * n_, 1, inverse);
    for (int c = 0; c < n_; ++c) line(re + c, im + c, n_, inverse);
  }

 private:
  void line(float* re, float* im, int s, bool inverse) const {
    const int n = n_;
    for (int i = 0; i < n; ++i) {
      int j = rev_[static_cast<size_t>(i)];
      if (i < j) {
        std::swap(re[i * s], re[j * s]);
        std::swap(im[i * s], im[j * s]);
      }
    }
    const float sign = inverse ? 1.f : -1.f;
    for (int len = 2; len <= n; len <<= 1) {
      const int half = len / 2, step = n / len;
      for (int i = 0; i < n; i += len)
        for (int j = 0; j < half; ++j) {
          const float wr = cos_[static_cast<size_t>(j * step)], wi = sign * sin_[static_cast<size_t>(j * step)];
          const int a = (i + j) * s, b = (i + j + half) * s;
          const float vr = re[b] * wr - im[b] * wi, vi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - vr;
          im[b] = im[a] - vi;
          re[a] += vr;
          im[a] += vi;
        }
    }
  }
  int n_;
  std::vector<int> rev_;
  std::vector<float> cos_, sin_;
};

}  // namespace vigil
