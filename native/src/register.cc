// Non-blind detection: coarse registration of the original onto the leak
// (crop window search + hill climbing on NCC), then the blind detector runs on
// the difference leak - gain*original - offset, where the host is gone.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "detect.h"

namespace vigil {

namespace {
struct Img {
  int w = 0, h = 0;
  std::vector<float> p;
  float at(float x, float y) const {  // bilinear, clamped, pixel-centre coordinates
    x = std::min(std::max(x, 0.f), static_cast<float>(w - 1));
    y = std::min(std::max(y, 0.f), static_cast<float>(h - 1));
    int x0 = std::min(static_cast<int>(x), w - 2 < 0 ? 0 : w - 2), y0 = std::min(static_cast<int>(y), h - 2 < 0 ? 0 : h - 2);
    float fx = x - x0, fy = y - y0;
    const float* r0 = &p[static_cast<size_t>(y0) * w + x0];
    const float* r1 = r0 + (h > 1 ? w : 0);
    int dx = w > 1 ? 1 : 0;
    return (1 - fy) * ((1 - fx) * r0[0] + fx * r0[dx]) + fy * ((1 - fx) * r1[0] + fx * r1[dx]);
  }
};

Img toFloat(const PlaneRef& r) {
  Img im;
  im.w = r.width;
  im.h = r.height;
  im.p.resize(static_cast<size_t>(r.width) * r.height);
  for (int y = 0; y < r.height; ++y)
    for (int x = 0; x < r.width; ++x) {
      size_t i = static_cast<size_t>(y) * r.stride + x;
      im.p[static_cast<size_t>(y) * r.width + x] =
          r.bitDepth == 8 ? static_cast<float>(static_cast<const uint8_t*>(r.data)[i])
                          : static_cast<float>(static_cast<const uint16_t*>(r.data)[i]) * 0.25f;
    }
  return im;
}

Img areaDown(const Img& s, int w, int h) {
  Img d;
  d.w = w;
  d.h = h;
  d.p.assign(static_cast<size_t>(w) * h, 0.f);
  std::vector<float> cnt(d.p.size(), 0.f);
  for (int y = 0; y < s.h; ++y) {
    int yy = static_cast<int>(static_cast<int64_t>(y) * h / s.h);
    for (int x = 0; x < s.w; ++x) {
      int xx = static_cast<int>(static_cast<int64_t>(x) * w / s.w);
      d.p[static_cast<size_t>(yy) * w + xx] += s.p[static_cast<size_t>(y) * s.w + x];
      cnt[static_cast<size_t>(yy) * w + xx] += 1.f;
    }
  }
  for (size_t i = 0; i < d.p.size(); ++i) d.p[i] /= std::max(1.f, cnt[i]);
  return d;
}

struct Win {
  double cx, cy, sx, sy;  // leak [0,1]^2 -> original [cx, cx+sx] x [cy, cy+sy]
};

// Normalized cross-correlation between leak L and original O sampled through win.
double ncc(const Img& L, const Img& O, const Win& w) {
  double sl = 0, so = 0, sll = 0, soo = 0, slo = 0;
  const int n = L.w * L.h;
  for (int y = 0; y < L.h; ++y) {
    float oy = static_cast<float>((w.cy + (y + 0.5) / L.h * w.sy) * O.h - 0.5);
    for (int x = 0; x < L.w; ++x) {
      float ox = static_cast<float>((w.cx + (x + 0.5) / L.w * w.sx) * O.w - 0.5);
      double a = L.p[static_cast<size_t>(y) * L.w + x], b = O.at(ox, oy);
      sl += a; so += b; sll += a * a; soo += b * b; slo += a * b;
    }
  }
  double cl = sll - sl * sl / n, co = soo - so * so / n, clo = slo - sl * so / n;
  return cl > 0 && co > 0 ? clo / std::sqrt(cl * co) : -1;
}

Img downTo(const Img& s, int lines) {
  int h = std::min(lines, s.h);
  int w = std::max(8, static_cast<int>(std::lround(static_cast<double>(s.w) * h / s.h)));
  return areaDown(s, std::min(w, s.w), h);
}
}  // namespace

DetectResult detectWithOriginal(const uint8_t key[32], const PlaneRef& leak, const PlaneRef& original) {
  Img L = toFloat(leak), O = toFloat(original);
  // coarse search at 64 lines
  Img Ls = downTo(L, 64), Os = downTo(O, 96);
  Win best{0, 0, 1, 1};
  double bestScore = ncc(Ls, Os, best);
  const double step = 0.02;
  for (double sy = 0.76; sy <= 1.0001; sy += step)
    for (double sx = 0.76; sx <= 1.0001; sx += step)
      for (double cy = 0; cy <= 1 - sy + 1e-9; cy += step)
        for (double cx = 0; cx <= 1 - sx + 1e-9; cx += step) {
          Win w{cx, cy, sx, sy};
          double s = ncc(Ls, Os, w);
          if (s > bestScore) { bestScore = s; best = w; }
        }
  // refine by coordinate hill climbing at higher resolution
  Img Lm = downTo(L, 192), Om = downTo(O, 384);
  bestScore = ncc(Lm, Om, best);
  for (double st : {0.01, 0.005, 0.0025, 0.001}) {
    bool moved = true;
    int guard = 0;
    while (moved && guard++ < 20) {
      moved = false;
      for (int p = 0; p < 4; ++p)
        for (int sgn = -1; sgn <= 1; sgn += 2) {
          Win w = best;
          double* v = p == 0 ? &w.cx : p == 1 ? &w.cy : p == 2 ? &w.sx : &w.sy;
          *v += sgn * st;
          double s = ncc(Lm, Om, w);
          if (s > bestScore) { bestScore = s; best = w; moved = true; }
        }
    }
  }
  // prefilter the original if it is much larger than the leak (avoid aliasing)
  int k = static_cast<int>(std::floor(std::min(best.sx * O.w / L.w, best.sy * O.h / L.h)));
  Img Of = k >= 2 ? areaDown(O, O.w / k, O.h / k) : O;
  std::vector<float> warped(L.p.size());
  double sl = 0, so = 0, soo = 0, slo = 0;
  for (int y = 0; y < L.h; ++y) {
    float oy = static_cast<float>((best.cy + (y + 0.5) / L.h * best.sy) * Of.h - 0.5);
    for (int x = 0; x < L.w; ++x) {
      float ox = static_cast<float>((best.cx + (x + 0.5) / L.w * best.sx) * Of.w - 0.5);
      size_t i = static_cast<size_t>(y) * L.w + x;
      double b = Of.at(ox, oy), a = L.p[i];
      warped[i] = static_cast<float>(b);
      sl += a; so += b; soo += b * b; slo += a * b;
    }
  }
  const double n = static_cast<double>(L.p.size());
  double var = soo - so * so / n;
  double g = var > 0 ? (slo - sl * so / n) / var : 1.0;
  double off = (sl - g * so) / n;
  std::vector<float> diff(L.p.size());
  for (size_t i = 0; i < diff.size(); ++i) diff[i] = static_cast<float>(L.p[i] - g * warped[i] - off);
  Detector det(key, L.w, L.h, 8);
  det.accumulateFloat(diff.data(), L.w);
  return det.result();
}

}  // namespace vigil
