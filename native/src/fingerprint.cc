#include "fingerprint.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <numeric>
#include <utility>

namespace vigil::fp {
namespace {

constexpr int kThumb = 32;   // thumbnail side
constexpr int kMaxU = 11;    // frequencies 0..10 per axis are enough for the 64 lowest by u+v
constexpr int kGrid = 256;   // the content region is box-reduced by an integer factor to at most this

// ------------------------------------------------------------------ tables

struct Tables {
  float cosTab[kMaxU][kThumb];           // DCT-II basis
  std::array<std::pair<int, int>, 64> coeffs;   // (u, v) of the 64 hash coefficients, lowest u+v first
  // Crop windows per axis: (scale, anchor 0 = start, 0.5 = centre, 1 = end). Index 0 = whole.
  // (scale, anchor) from the fractions (a, b) cut at the start and the end of the axis: every
  // (a, b) on a 5 % lattice with a + b <= 15 %, so any crop up to ~20 % per axis is within
  // 2.5 % of a window on each side.
  std::array<std::pair<float, float>, kAxisWindows> windows{{{1.f, 0.f},
                                                              {0.95f, 0.f}, {0.95f, 1.f},
                                                              {0.90f, 0.f}, {0.90f, 0.5f}, {0.90f, 1.f},
                                                              {0.85f, 0.f}, {0.85f, 1.f / 3}, {0.85f, 2.f / 3}, {0.85f, 1.f}}};
  Tables() {
    for (int u = 0; u < kMaxU; u++)
      for (int x = 0; x < kThumb; x++) cosTab[u][x] = static_cast<float>(std::cos(M_PI * (2 * x + 1) * u / (2.0 * kThumb)));
    std::vector<std::pair<int, int>> all;
    for (int u = 0; u < kMaxU; u++)
      for (int v = 0; v < kMaxU; v++)
        if (u + v > 0) all.emplace_back(u, v);
    std::stable_sort(all.begin(), all.end(), [](auto a, auto b) {
      int sa = a.first + a.second, sb = b.first + b.second;
      return sa != sb ? sa < sb : a.first < b.first;
    });
    for (int i = 0; i < 64; i++) coeffs[i] = all[i];
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// ------------------------------------------------------------------ borders

// Fraction of samples along a line within tol of v0, and the line mean.
struct LineStat {
  double nearFrac, mean;
};

LineStat lineStat(const uint8_t* p, ptrdiff_t inc, int n, int v0) {
  int step = std::max(1, n / 320);
  int cnt = 0, near = 0;
  long sum = 0;
  for (int i = 0; i < n; i += step) {
    int s = p[static_cast<ptrdiff_t>(i) * inc];
    sum += s;
    near += std::abs(s - v0) <= 12;
    cnt++;
  }
  return {static_cast<double>(near) / cnt, static_cast<double>(sum) / cnt};
}

bool barColour(double m) { return m <= 50 || m >= 205; }

// Scans lines from one edge while they are uniform and dark or bright (a bar).
// line(i) -> pointer to the first sample of line i; inc, n: along the line.
template <typename LineFn>
int scanBar(LineFn line, ptrdiff_t inc, int n, int lines) {
  LineStat first = lineStat(line(0), inc, n, 0);
  if (!barColour(first.mean)) return 0;
  int v0 = static_cast<int>(std::lround(first.mean));
  if (lineStat(line(0), inc, n, v0).nearFrac < 0.92) return 0;
  int maxBar = static_cast<int>(lines * 0.35);
  int i = 0;
  while (i < maxBar && lineStat(line(i), inc, n, v0).nearFrac >= 0.92) i++;
  return i;
}

}  // namespace

Rect contentRect(const uint8_t* p, int width, int height, int stride) {
  int top = scanBar([&](int i) { return p + static_cast<ptrdiff_t>(i) * stride; }, 1, width, height);
  int bottom = scanBar([&](int i) { return p + static_cast<ptrdiff_t>(height - 1 - i) * stride; }, 1, width, height);
  if (height - top - bottom < height * 0.3) top = bottom = 0;   // (nearly) all bar: a flat picture, keep it whole
  int h = height - top - bottom;
  const uint8_t* q = p + static_cast<ptrdiff_t>(top) * stride;
  int left = scanBar([&](int i) { return q + i; }, stride, h, width);
  int right = scanBar([&](int i) { return q + (width - 1 - i); }, stride, h, width);
  if (width - left - right < width * 0.3) left = right = 0;
  return {left, top, width - left - right, h};
}

namespace {

// Box-reduced content region with its summed-area table (exact area means at fractional coordinates).
struct Grid {
  int gw = 0, gh = 0;
  std::vector<double> sat;   // (gw+1) x (gh+1)

  double at(double x, double y) const {   // bilinear in the SAT = exact for piecewise-constant pixels
    x = std::clamp(x, 0.0, static_cast<double>(gw));
    y = std::clamp(y, 0.0, static_cast<double>(gh));
    int x0 = std::min(static_cast<int>(x), gw - 1), y0 = std::min(static_cast<int>(y), gh - 1);
    double fx = x - x0, fy = y - y0;
    const double* r0 = &sat[static_cast<size_t>(y0) * (gw + 1)];
    const double* r1 = r0 + (gw + 1);
    double a = r0[x0] + fx * (r0[x0 + 1] - r0[x0]);
    double b = r1[x0] + fx * (r1[x0 + 1] - r1[x0]);
    return a + fy * (b - a);
  }
};

Grid reduce(const uint8_t* p, int stride, const Rect& r) {
  Grid g;
  int kx = (r.width + kGrid - 1) / kGrid, ky = (r.height + kGrid - 1) / kGrid;
  g.gw = r.width / kx;
  g.gh = r.height / ky;
  std::vector<uint32_t> acc(g.gw);
  g.sat.assign(static_cast<size_t>(g.gw + 1) * (g.gh + 1), 0.0);
  const double norm = 1.0 / (kx * ky);
  for (int gy = 0; gy < g.gh; gy++) {
    std::fill(acc.begin(), acc.end(), 0u);
    for (int j = 0; j < ky; j++) {
      const uint8_t* row = p + static_cast<ptrdiff_t>(r.y + gy * ky + j) * stride + r.x;
      if (kx == 1) {
        for (int gx = 0; gx < g.gw; gx++) acc[gx] += row[gx];
      } else {
        for (int gx = 0; gx < g.gw; gx++) {
          const uint8_t* s = row + gx * kx;
          uint32_t t = 0;
          for (int k = 0; k < kx; k++) t += s[k];
          acc[gx] += t;
        }
      }
    }
    double* prev = &g.sat[static_cast<size_t>(gy) * (g.gw + 1)];
    double* cur = prev + (g.gw + 1);
    double run = 0;
    for (int gx = 0; gx < g.gw; gx++) {
      run += acc[gx] * norm;
      cur[gx + 1] = prev[gx + 1] + run;
    }
  }
  return g;
}

// 32x32 area-mean thumbnail of the window [fx0, fx0+fw) x [fy0, fy0+fh) (fractions of the grid).
void thumbnail(const Grid& g, double fx0, double fy0, double fw, double fh, float* out) {
  double xs[kThumb + 1], ys[kThumb + 1];
  for (int i = 0; i <= kThumb; i++) {
    xs[i] = (fx0 + fw * i / kThumb) * g.gw;
    ys[i] = (fy0 + fh * i / kThumb) * g.gh;
  }
  double s[kThumb + 1][kThumb + 1];
  for (int j = 0; j <= kThumb; j++)
    for (int i = 0; i <= kThumb; i++) s[j][i] = g.at(xs[i], ys[j]);
  for (int j = 0; j < kThumb; j++) {
    double ah = ys[j + 1] - ys[j];
    for (int i = 0; i < kThumb; i++) {
      double area = (xs[i + 1] - xs[i]) * ah;
      out[j * kThumb + i] = static_cast<float>((s[j + 1][i + 1] - s[j][i + 1] - s[j + 1][i] + s[j][i]) / area);
    }
  }
}

// The 64 hash coefficients of a thumbnail.
void lowDct(const float* t, float* coef) {
  const Tables& tb = tables();
  float rows[kThumb][kMaxU];   // rows[y][u] = sum_x t[y][x] cos_u(x)
  for (int y = 0; y < kThumb; y++) {
    const float* ty = t + y * kThumb;
    for (int u = 0; u < kMaxU; u++) {
      float s = 0;
      for (int x = 0; x < kThumb; x++) s += ty[x] * tb.cosTab[u][x];
      rows[y][u] = s;
    }
  }
  for (int i = 0; i < 64; i++) {
    auto [u, v] = tb.coeffs[i];
    float s = 0;
    for (int y = 0; y < kThumb; y++) s += rows[y][u] * tb.cosTab[v][y];
    coef[i] = s;
  }
}

uint64_t signHash(const float* coef) {
  float tmp[64];
  std::copy(coef, coef + 64, tmp);
  std::nth_element(tmp, tmp + 31, tmp + 64);
  float lo = tmp[31];
  float hi = *std::min_element(tmp + 32, tmp + 64);
  float median = 0.5f * (lo + hi);
  uint64_t h = 0;
  for (int i = 0; i < 64; i++) h |= static_cast<uint64_t>(coef[i] > median) << i;
  return h;
}

}  // namespace

Fingerprint fingerprint8(const uint8_t* p, int width, int height, int stride) {
  const Tables& tb = tables();
  Fingerprint f{};
  f.content = contentRect(p, width, height, stride);
  Grid g = reduce(p, stride, f.content);
  float thumb[kThumb * kThumb], coef[64];
  for (int iy = 0; iy < kAxisWindows; iy++) {
    auto [sy, ay] = tb.windows[iy];
    for (int ix = 0; ix < kAxisWindows; ix++) {
      auto [sx, ax] = tb.windows[ix];
      thumbnail(g, (1 - sx) * ax, (1 - sy) * ay, sx, sy, thumb);
      lowDct(thumb, coef);
      f.h[iy * kAxisWindows + ix] = signHash(coef);
      if (ix == 0 && iy == 0) {
        double m = 0, m2 = 0;
        for (float v : thumb) m += v, m2 += static_cast<double>(v) * v;
        m /= kThumb * kThumb;
        f.contrast = static_cast<float>(std::sqrt(std::max(0.0, m2 / (kThumb * kThumb) - m * m)));
        float mir[64];
        for (int i = 0; i < 64; i++) mir[i] = (tb.coeffs[i].first & 1) ? -coef[i] : coef[i];   // x -> 31-x flips odd u
        f.h[kMirror] = signHash(mir);
      }
    }
  }
  f.informative = f.contrast >= 2.0f;
  return f;
}

int distance(const uint64_t* a, const uint64_t* b, bool mirror) {
  int best = 64;
  for (int q = 0; q < (mirror ? 2 : 1); q++) {
    uint64_t qa = a[q ? kMirror : 0], qb = b[q ? kMirror : 0];
    for (int v = 0; v < kCrops; v++) best = std::min({best, popcount64(qa ^ b[v]), popcount64(qb ^ a[v])});
  }
  return best;
}

// ------------------------------------------------------------------ sequences

namespace {

double medianStep(const double* t, int n) {
  std::vector<double> s(t, t + n);
  std::sort(s.begin(), s.end());
  std::vector<double> d;
  for (int i = 1; i < n; i++)
    if (s[i] > s[i - 1]) d.push_back(s[i] - s[i - 1]);
  if (d.empty()) return 1.0;
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

// Multi-index hashing: four tables on the 16-bit chunks of every crop-window hash of the
// reference. A pair within T bits agrees within floor(T/4) bits on at least one chunk
// (pigeonhole), so probing each chunk's neighbours up to that radius finds every such pair.
struct ChunkIndex {
  std::vector<uint32_t> start[4];   // 65537 offsets per chunk
  std::vector<uint32_t> ids[4];     // entry ids (ref frame * kCrops + window)
  std::vector<uint64_t> hash;       // per entry id

  ChunkIndex(const uint64_t* ref, const uint8_t* informative, int nRef) {
    hash.resize(static_cast<size_t>(nRef) * kCrops);
    for (int i = 0; i < nRef; i++)
      for (int v = 0; v < kCrops; v++) hash[static_cast<size_t>(i) * kCrops + v] = ref[static_cast<size_t>(i) * kHashes + v];
    for (int k = 0; k < 4; k++) {
      start[k].assign(65537, 0);
      for (int i = 0; i < nRef; i++) {
        if (!informative[i]) continue;
        for (int v = 0; v < kCrops; v++) start[k][((hash[static_cast<size_t>(i) * kCrops + v] >> (16 * k)) & 0xffff) + 1]++;
      }
      for (int b = 0; b < 65536; b++) start[k][b + 1] += start[k][b];
      ids[k].resize(start[k][65536]);
      std::vector<uint32_t> fill(start[k].begin(), start[k].end() - 1);
      for (int i = 0; i < nRef; i++) {
        if (!informative[i]) continue;
        for (int v = 0; v < kCrops; v++) {
          uint32_t id = static_cast<uint32_t>(i) * kCrops + v;
          ids[k][fill[(hash[id] >> (16 * k)) & 0xffff]++] = id;
        }
      }
    }
  }
};

const std::vector<uint16_t>& masksUpTo(int r) {
  static std::vector<uint16_t> cache[9];
  r = std::clamp(r, 0, 8);
  if (cache[r].empty())
    for (uint32_t m = 0; m < 65536; m++)
      if (__builtin_popcount(m) <= r) cache[r].push_back(static_cast<uint16_t>(m));
  return cache[r];
}

struct Hit {
  int c, r, d;
};

}  // namespace

SequenceMatch matchSequences(const uint64_t* ref, const double* refTimes, const uint8_t* refInf, int nRef, const uint64_t* cand,
                             const double* candTimes, const uint8_t* candInf, int nCand, const MatchParams& prm) {
  SequenceMatch out;
  const int T = std::clamp(prm.frameThreshold, 0, 32);
  for (int c = 0; c < nCand; c++) out.candidateFrames += candInf[c] != 0;
  if (nRef == 0 || nCand == 0) return out;

  const double refStep = medianStep(refTimes, nRef), candStep = medianStep(candTimes, nCand);
  const double bin = prm.binSeconds > 0 ? prm.binSeconds : std::max({refStep, candStep, 1e-3});

  // 1. Near-duplicate frame pairs through the index (candidate whole/mirrored vs reference crop windows).
  ChunkIndex index(ref, refInf, nRef);
  const auto& masks = masksUpTo(T / 4);
  std::vector<uint32_t> stamp(index.hash.size(), 0);
  uint32_t qs = 0;
  std::vector<int> bestD(nRef, 99), touched;
  std::vector<Hit> hits;
  for (int c = 0; c < nCand; c++) {
    if (!candInf[c]) continue;
    for (int q = 0; q < (prm.mirror ? 2 : 1); q++) {
      uint64_t h = cand[static_cast<size_t>(c) * kHashes + (q ? kMirror : 0)];
      ++qs;
      for (int k = 0; k < 4; k++) {
        uint32_t key = (h >> (16 * k)) & 0xffff;
        const uint32_t* st = index.start[k].data();
        const uint32_t* ids = index.ids[k].data();
        for (uint16_t m : masks) {
          uint32_t b = key ^ m;
          for (uint32_t e = st[b]; e < st[b + 1]; e++) {
            uint32_t id = ids[e];
            if (stamp[id] == qs) continue;
            stamp[id] = qs;
            int d = popcount64(h ^ index.hash[id]);
            if (d > T) continue;
            int r = static_cast<int>(id / kCrops);
            if (bestD[r] == 99) touched.push_back(r);
            bestD[r] = std::min(bestD[r], d);
          }
        }
      }
    }
    for (int r : touched) {
      hits.push_back({c, r, bestD[r]});
      bestD[r] = 99;
    }
    touched.clear();
  }
  if (hits.empty()) return out;

  // 2. Vote on the time offset. Each candidate frame counts once per bin with weight
  //    T + 1 - d (its best distance there); a bin's score is the sum over distinct candidate
  //    frames in it and its two neighbours (sampling jitter). Weighting matters for slow
  //    shots, where a frame is within T of every frame of its shot: the exact offset has
  //    the smallest distances and wins the tie.
  std::map<long, std::vector<std::pair<int, int>>> bins;   // bin -> (candidate, distance)
  for (const Hit& h : hits) bins[std::lround((refTimes[h.r] - candTimes[h.c]) / bin)].emplace_back(h.c, h.d);
  for (auto& [b, v] : bins) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end(), [](auto x, auto y) { return x.first == y.first; }), v.end());   // keeps the min d
  }
  std::vector<uint32_t> seen(nCand, 0);
  std::vector<int> weight(nCand, 0);
  uint32_t sstamp = 0;
  struct Score {
    long bin;
    int votes;
    long weight;
  };
  std::vector<Score> scores;
  std::vector<int> members;
  for (const auto& [b, v] : bins) {
    ++sstamp;
    members.clear();
    for (long nb = b - 1; nb <= b + 1; nb++) {
      auto it = bins.find(nb);
      if (it == bins.end()) continue;
      for (auto [c, d] : it->second) {
        if (seen[c] != sstamp) seen[c] = sstamp, weight[c] = 0, members.push_back(c);
        weight[c] = std::max(weight[c], T + 1 - d);
      }
    }
    long w = 0;
    for (int c : members) w += weight[c];
    scores.push_back({b, static_cast<int>(members.size()), w});
  }
  Score best = *std::max_element(scores.begin(), scores.end(), [](const Score& a, const Score& b) { return a.weight < b.weight; });
  out.votes = best.votes;
  for (const Score& s : scores)
    if (std::labs(s.bin - best.bin) > 2) out.runnerUpVotes = std::max(out.runnerUpVotes, s.votes);

  // Offset: per voting candidate frame, its hit nearest the bin centre; the median of those.
  std::vector<double> perCand(nCand, NAN);
  const double centre = best.bin * bin;
  for (const Hit& h : hits) {
    double o = refTimes[h.r] - candTimes[h.c];
    if (std::fabs(o - centre) > 1.5 * bin) continue;
    if (std::isnan(perCand[h.c]) || std::fabs(o - centre) < std::fabs(perCand[h.c] - centre)) perCand[h.c] = o;
  }
  std::vector<double> offs;
  for (double o : perCand)
    if (!std::isnan(o)) offs.push_back(o);
  std::nth_element(offs.begin(), offs.begin() + offs.size() / 2, offs.end());
  out.offset = offs[offs.size() / 2];

  // 3. Evidence at that offset: every informative candidate frame against the reference frames
  //    around its aligned time, with the full (both-ways) distance.
  std::vector<int> ro(nRef);
  std::iota(ro.begin(), ro.end(), 0);
  std::sort(ro.begin(), ro.end(), [&](int a, int b) { return refTimes[a] < refTimes[b]; });
  std::vector<double> rt(nRef);
  for (int i = 0; i < nRef; i++) rt[i] = refTimes[ro[i]];
  std::vector<int> co(nCand);
  std::iota(co.begin(), co.end(), 0);
  std::sort(co.begin(), co.end(), [&](int a, int b) { return candTimes[a] < candTimes[b]; });

  const double tol = std::max(1.5 * bin, 0.6 * refStep);
  double dsum = 0;
  bool open = false;
  Span span{};
  double lastMatched = 0;
  for (int c : co) {
    if (!candInf[c]) continue;
    double target = candTimes[c] + out.offset;
    auto lo = std::lower_bound(rt.begin(), rt.end(), target - tol);
    int bd = 99, br = -1;
    for (auto it = lo; it != rt.end() && *it <= target + tol; ++it) {
      int r = ro[it - rt.begin()];
      if (!refInf[r]) continue;
      int d = distance(cand + static_cast<size_t>(c) * kHashes, ref + static_cast<size_t>(r) * kHashes, prm.mirror);
      if (d < bd) bd = d, br = r;
    }
    if (br < 0) continue;
    out.comparableFrames++;
    if (bd > T) continue;
    out.matchedFrames++;
    dsum += bd;
    double ct = candTimes[c], rtm = refTimes[br];
    if (open && ct - lastMatched <= 2.5 * candStep + 1e-9) {
      span.candEnd = ct;
      span.refStart = std::min(span.refStart, rtm);
      span.refEnd = std::max(span.refEnd, rtm);
    } else {
      if (open) out.spans.push_back(span);
      span = {rtm, rtm, ct, ct};
      open = true;
    }
    lastMatched = ct;
  }
  if (open) out.spans.push_back(span);
  if (out.matchedFrames > 0) out.distance = dsum / out.matchedFrames / 64.0;
  out.coverage = out.comparableFrames ? static_cast<double>(out.matchedFrames) / out.comparableFrames : 0;
  out.matched = out.votes >= prm.minVotes && out.matchedFrames >= prm.minVotes && out.coverage >= prm.minCoverage;
  return out;
}

std::vector<PageMatch> matchImages(const uint64_t* ref, const uint8_t* refInf, int nRef, const uint64_t* cand, const uint8_t* candInf,
                                   int nCand, int threshold, bool mirror) {
  std::vector<PageMatch> out;
  for (int c = 0; c < nCand; c++) {
    PageMatch m{c, -1, 64, false};
    if (candInf[c])
      for (int r = 0; r < nRef; r++) {
        if (!refInf[r]) continue;
        int d = distance(cand + static_cast<size_t>(c) * kHashes, ref + static_cast<size_t>(r) * kHashes, mirror);
        if (d < m.distance) m.distance = d, m.reference = r;
      }
    m.matched = m.reference >= 0 && m.distance <= threshold;
    out.push_back(m);
  }
  return out;
}

}  // namespace vigil::fp
