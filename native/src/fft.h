#pragma once
#include <cmath>
#include <complex>

namespace vigil {
// In-place radix-2 FFT of length n (power of two), stride s between elements.
inline void fft1d(std::complex<float>* a, int n, int s, bool inverse) {
  for (int i = 1, j = 0; i < n; ++i) {
    int bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i * s], a[j * s]);
  }
  for (int len = 2; len <= n; len <<= 1) {
    double ang = 2 * M_PI / len * (inverse ? 1 : -1);
    std::complex<float> wl(static_cast<float>(std::cos(ang)), static_cast<float>(std::sin(ang)));
    for (int i = 0; i < n; i += len) {
      std::complex<float> w(1.f, 0.f);
      for (int j = 0; j < len / 2; ++j) {
        std::complex<float> u = a[(i + j) * s], v = a[(i + j + len / 2) * s] * w;
        a[(i + j) * s] = u + v;
        a[(i + j + len / 2) * s] = u - v;
        w *= wl;
      }
    }
  }
}
inline void fft2d(std::complex<float>* a, int n, bool inverse) {
  for (int r = 0; r < n; ++r) fft1d(a + r * n, n, 1, inverse);
  for (int c = 0; c < n; ++c) fft1d(a + c, n, n, inverse);
}
}  // namespace vigil
