// Non-blind detection: coarse registration of the original onto the leak
// (crop window search + hill climbing on NCC), then the difference
// leak - gain*original - offset, where the host is gone, is read at the tile
// geometry the registration implies (a matched filter per cell). The blind
// detector's search over that difference is the fallback.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "detect.h"
#include "ecc.h"
#include "pattern.h"

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

// Registration: the window of the original that the leak shows, by NCC (grid search at 64 lines,
// then coordinate hill climbing at 192).
Win registerWindow(const Img& L, const Img& O) {
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
  return best;
}

// leak - gain*warped original - offset on the leak grid (gain and offset by least squares).
std::vector<float> difference(const Img& L, const Img& O, const Win& best) {
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
  return diff;
}

// Reading the difference at a known geometry. The grid keeps >= kGridCellPx samples per cell; the
// high-pass (minus the mean over +-1.5 cells) removes what registration and gain/offset left at
// low frequencies while keeping most of the smooth cell pattern (the blind detector's 5x5
// high-pass at 128 lines, needed there against the host, removes most of it); each sample is
// weighted by its local noise power (over +-2 cells), clipped at kClipSigmas like the blind
// reader. Measured on JPEG q50 stills of grainy video: wider or narrower windows and undoing the
// overlap of neighbouring cells were no better; weighting by the embedder's mask was at most a
// few per cent better (and would copy embed.cc's mask); whitening by the spectrum of the
// difference was ~10 % better on clean stills but collapsed where an overlay covers part of one.
constexpr double kGridCellPx = 6.0;
constexpr double kHighPassCells = 1.5;
constexpr double kNoiseCells = 2.0;
constexpr float kClipSigmas = 3.0f;
constexpr float kNoiseFloor = 1.0f;  // levels, at full leak resolution
// One still carries little evidence: when the best Viterbi path fails the MAC, the next best are
// tried (the correct one is often within the first few dozen). See readAligned for the cost.
constexpr int kListSize = 32;
constexpr double kListPilotZ = 5.0;

// Maps grid samples along one axis to (first cell of the tile, its cos² weight), as the embedder
// rendered it in the original: cell = original height / 32, phase 0 at the original's origin.
void cellAxis(int n, int k, double start, double span, int lenL, int lenO, double cellO, std::vector<int>& cell, std::vector<float>& w) {
  cell.resize(static_cast<size_t>(n));
  w.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    double l = i * k + (k - 1) * 0.5;                         // centre of the grid sample, leak pixels
    double o = (start + (l + 0.5) / lenL * span) * lenO - 0.5;  // the same point in the original
    double u = (o + 0.5) / cellO - 0.5;
    double f0 = std::floor(u);
    long c = static_cast<long>(f0) % kCells;
    if (c < 0) c += kCells;
    cell[static_cast<size_t>(i)] = static_cast<int>(c);
    w[static_cast<size_t>(i)] = cellKernel(static_cast<float>(u - f0));
  }
}

// Matched-filter cell soft values of the difference at the registered geometry, then the pilot
// statistic and the payload decode. With the alignment known there is one hypothesis, and
// pilotZ = sum(soft*pilot) / sqrt(sum(soft^2)) is standardised under any null (a key's pilot
// signs are independent of the content), with the sub-Gaussian tail bound exp(-z^2/2).
DetectResult readAligned(const uint8_t key[32], const std::vector<float>& diff, int Lw, int Lh, const Win& win, int Ow, int Oh) {
  DetectResult out;
  out.framesUsed = 1;
  out.hypotheses = 1;
  const double cellO = static_cast<double>(Oh) / (kTilesPerHeight * kCells);
  const double cellLy = cellO / (win.sy * Oh) * Lh, cellLx = cellO / (win.sx * Ow) * Lw;
  out.periodX = cellLx * kCells;
  out.periodY = cellLy * kCells;
  const int k = std::max(1, static_cast<int>(std::floor(std::min(cellLx, cellLy) / kGridCellPx)));
  const int gw = Lw / k, gh = Lh / k;
  if (gw < 8 || gh < 8) return out;
  std::vector<float> d(static_cast<size_t>(gw) * gh, 0.f), blur, tmp;
  for (int y = 0; y < gh * k; ++y) {
    const float* row = &diff[static_cast<size_t>(y) * Lw];
    float* dr = &d[static_cast<size_t>(y / k) * gw];
    for (int x = 0; x < gw * k; ++x) dr[x / k] += row[x];
  }
  for (float& v : d) v /= static_cast<float>(k * k);
  const double cellG = std::min(cellLx, cellLy) / k;
  boxBlur(d, blur, tmp, gw, gh, std::max(1, static_cast<int>(std::lround(kHighPassCells * cellG))));
  std::vector<float> sq(d.size()), lv;
  for (size_t i = 0; i < d.size(); ++i) {
    d[i] -= blur[i];
    sq[i] = d[i] * d[i];
  }
  boxBlur(sq, lv, tmp, gw, gh, std::max(1, static_cast<int>(std::lround(kNoiseCells * cellG))));
  const float noiseFloor = kNoiseFloor / static_cast<float>(k);  // white noise averages down k-fold
  for (size_t i = 0; i < d.size(); ++i) {
    float sd = std::sqrt(lv[i] + noiseFloor * noiseFloor);
    d[i] = std::min(kClipSigmas, std::max(-kClipSigmas, d[i] / sd)) / sd;
  }
  std::vector<int> cx, cy;
  std::vector<float> wx, wy;
  cellAxis(gw, k, win.cx, win.sx, Lw, Ow, cellO, cx, wx);
  cellAxis(gh, k, win.cy, win.sy, Lh, Oh, cellO, cy, wy);
  double acc[kTileCells] = {0};
  for (int y = 0; y < gh; ++y) {
    int r0 = cy[static_cast<size_t>(y)] * kCells, r1 = ((cy[static_cast<size_t>(y)] + 1) % kCells) * kCells;
    double a0 = wy[static_cast<size_t>(y)], a1 = 1.0 - a0;
    const float* row = &d[static_cast<size_t>(y) * gw];
    for (int x = 0; x < gw; ++x) {
      int c0 = cx[static_cast<size_t>(x)], c1 = (c0 + 1) % kCells;
      double b0 = wx[static_cast<size_t>(x)] * row[x], b1 = row[x] - b0;
      acc[r0 + c0] += a0 * b0;
      acc[r0 + c1] += a0 * b1;
      acc[r1 + c0] += a1 * b0;
      acc[r1 + c1] += a1 * b1;
    }
  }
  TileKey tk = makeTileKey(key);
  double sp = 0, ss = 0;
  for (int i = 0; i < kTileCells; ++i) { sp += acc[i] * tk.pilot[i]; ss += acc[i] * acc[i]; }
  // A version-2 copy carries the tile or its negative, depending on the frame: read either
  // polarity (counted twice in the false-alarm figure).
  const double polarity = sp < 0 ? -1.0 : 1.0;
  float soft[kTileCells];
  for (int i = 0; i < kTileCells; ++i) soft[i] = static_cast<float>(polarity * acc[i]);
  out.pilotZ = ss > 0 ? polarity * sp / std::sqrt(ss) : 0;
  const double pPilot = out.pilotZ > 0 ? std::min(1.0, 2.0 * std::exp(-0.5 * out.pilotZ * out.pilotZ)) : 1.0;
  out.falseAlarmProbability = pPilot;
  // The list beyond the best path is searched only when the pilot already shows this key's mark
  // at this alignment, so unmarked content or a wrong key reaches it with probability
  // <= exp(-kListPilotZ^2/2) (~4e-6) before its 2^-24 check.
  const int list = out.pilotZ >= kListPilotZ ? kListSize : 1;
  uint32_t id = 0;
  const int rank = decodePayloadList(key, codedSoft(tk, soft), list, &id);
  if (rank >= 0) {
    out.found = true;
    out.payload = id;
    out.dataZ = fitZ(soft, tileValues(tk, encodePayload(key, id)));
    out.falseAlarmProbability = pPilot * std::ldexp(1.0, -kMacBits) * (rank == 0 ? 1 : list);
    out.framesWithMark = 1;
  }
  out.confidence = 1.0 - out.falseAlarmProbability;
  return out;
}
}  // namespace

DetectResult detectWithOriginal(const uint8_t key[32], const PlaneRef& leak, const PlaneRef& original) {
  Img L = toFloat(leak), O = toFloat(original);
  Win win = registerWindow(L, O);
  std::vector<float> diff = difference(L, O, win);
  // Two readers are tried: the aligned one, then, if it finds nothing, the blind search over the
  // same difference (it also copes with a registration that is slightly off). Every
  // false-alarm figure counts both; when neither finds a mark the aligned reader's figures stand.
  constexpr double kReaders = 2.0;
  DetectResult r = readAligned(key, diff, L.w, L.h, win, O.w, O.h);
  if (!r.found) {
    Detector det(key, L.w, L.h, 8);
    det.accumulateFloat(diff.data(), L.w);
    DetectResult blind = det.result();
    blind.hypotheses += r.hypotheses;
    if (blind.found) r = blind;
    else r.hypotheses = blind.hypotheses;
  }
  r.falseAlarmProbability = std::min(1.0, r.falseAlarmProbability * kReaders);
  r.confidence = 1.0 - r.falseAlarmProbability;
  return r;
}

}  // namespace vigil
