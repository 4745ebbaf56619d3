#include "detect.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "chipsync.h"
#include "ecc.h"
#include "fft.h"

namespace vigil {

namespace {

// Search ranges, relative to the active picture (bands left out). Vertical: the
// tile spans 2/ny of the active height, ny from 1.14 (a 40 % crop rescaled, with
// room) to 2.5 (the picture inside a band that was not found); horizontal: the
// period ratio px/py (the content's own aspect change, sx/sy) from 0.48 to 2.08,
// so stretches and squeezes of either axis by up to 2x are found.
// Steps are uniform in periods per picture (nx, ny), not in log period: a period
// error e shifts the fold's phase by n*e periods across the picture, so wide
// periods (few repeats) need coarse steps and narrow ones fine steps.
constexpr double kNyMin = 2.0 / 1.75, kNyMax = 2.0 / 0.8, kNyStep = 0.045;
constexpr double kAMin = 0.48, kAMax = 2.08, kNxStep = 0.07;
constexpr int kRefine = 3;  // refinement: +-3 sixths of a coarse step per axis
constexpr size_t kRecheck = 12;  // distinct coarse peaks re-read at full resolution
// Rotation: the fold is axis-aligned and tolerates about +-2 degrees; the
// residual is also searched rotated back by +-3.5 degrees, so up to ~5 is found.
constexpr double kAngles[] = {0.0, 3.5, -3.5};
constexpr int kNumAngles = 3;
constexpr double kAngleRefine = 1.2;
// Bands: a working row/column carries picture in a frame when its samples spread
// by more than kBandStd levels or its mean moves by more than kBandDrift from
// the first frame; it is picture when it does so in >= 1/20 of the frames.
constexpr float kBandStd = 1.5f, kBandDrift = 3.0f;
constexpr int kBandEdge = 2;  // working lines dropped next to a band (high-pass ringing)
constexpr float kClipSigmas = 3.0f;
constexpr int kBoxRadius = 2;   // high-pass: minus the 5x5 mean at working res (cell = 4 px)
constexpr double kSegmentZ = 3.0;
constexpr int kLobe = 4;
constexpr int kVarRadius = 4;    // local host power window (9x9)
constexpr float kVarFloor = 2.0f;  // levels: floor of the local deviation
constexpr size_t kCandidates = 5;
// Version 2: frames per sign window (half a sign group: most windows hold one sign), and how many
// distinct coarse alignments of the windowed search are each read with their own signs.
constexpr int kSignWindowFrames = kSignGroupFrames / 2;
constexpr size_t kSignedTries = 3;
// groupPhase: window boundaries tried every segment start, at least this many frames apart.
constexpr int kPhaseStep = 8;

double normalTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// The w x h plane rotated by deg degrees about its centre (bilinear; 0 outside).
void rotatePlane(const std::vector<float>& in, int w, int h, double deg, std::vector<float>& out) {
  if (deg == 0.0) { out = in; return; }
  const double t = deg * M_PI / 180.0, c = std::cos(t), s = std::sin(t);
  const double cx = 0.5 * (w - 1), cy = 0.5 * (h - 1);
  out.assign(in.size(), 0.f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double sx = c * (x - cx) + s * (y - cy) + cx, sy = -s * (x - cx) + c * (y - cy) + cy;
      if (sx < 0 || sy < 0 || sx > w - 1 || sy > h - 1) continue;
      int x0 = std::min(w - 2, static_cast<int>(sx)), y0 = std::min(h - 2, static_cast<int>(sy));
      float fx = static_cast<float>(sx - x0), fy = static_cast<float>(sy - y0);
      const float* p = &in[static_cast<size_t>(y0) * w + x0];
      out[static_cast<size_t>(y) * w + x] = (1 - fy) * ((1 - fx) * p[0] + fx * p[1]) + fy * ((1 - fx) * p[w] + fx * p[w + 1]);
    }
}
}  // namespace

void boxBlur(const std::vector<float>& in, std::vector<float>& out, std::vector<float>& tmp, int w, int h, int r) {
  tmp.assign(in.size(), 0.f);
  out.assign(in.size(), 0.f);
  for (int y = 0; y < h; ++y) {
    const float* row = &in[static_cast<size_t>(y) * w];
    float* t = &tmp[static_cast<size_t>(y) * w];
    for (int x = 0; x < w; ++x) {
      int a = std::max(0, x - r), b = std::min(w - 1, x + r);
      float s = 0.f;
      for (int k = a; k <= b; ++k) s += row[k];
      t[x] = s / static_cast<float>(b - a + 1);
    }
  }
  for (int y = 0; y < h; ++y) {
    int a = std::max(0, y - r), b = std::min(h - 1, y + r);
    float* o = &out[static_cast<size_t>(y) * w];
    for (int k = a; k <= b; ++k) {
      const float* t = &tmp[static_cast<size_t>(k) * w];
      for (int x = 0; x < w; ++x) o[x] += t[x];
    }
    float inv = 1.f / static_cast<float>(b - a + 1);
    for (int x = 0; x < w; ++x) o[x] *= inv;
  }
}

Detector::Detector(const uint8_t key[32], int width, int height, int bitDepth, bool readChips)
    : w_(width), h_(height), depth_(bitDepth), readChips_(readChips) {
  if (width < 32 || height < 32) throw std::invalid_argument("frame too small (min 32x32)");
  if (bitDepth != 8 && bitDepth != 10) throw std::invalid_argument("bitDepth must be 8 or 10");
  std::memcpy(key_, key, 32);
  tk_ = makeTileKey(key);
  if (readChips_) chipSeed_ = chipSeed(key);
  hw_ = std::min(kWorkLines, height);
  ww_ = std::max(16, static_cast<int>(std::lround(static_cast<double>(width) * hw_ / height)));
  ww_ = std::min(ww_, width);
  xmap_.resize(static_cast<size_t>(width));
  ymap_.resize(static_cast<size_t>(height));
  std::vector<int> nx(static_cast<size_t>(ww_), 0), ny(static_cast<size_t>(hw_), 0);
  for (int x = 0; x < width; ++x) {
    int v = static_cast<int>(static_cast<int64_t>(x) * ww_ / width);
    xmap_[static_cast<size_t>(x)] = v;
    nx[static_cast<size_t>(v)]++;
  }
  for (int y = 0; y < height; ++y) {
    int v = static_cast<int>(static_cast<int64_t>(y) * hw_ / height);
    ymap_[static_cast<size_t>(y)] = v;
    ny[static_cast<size_t>(v)]++;
  }
  invCount_.resize(static_cast<size_t>(ww_) * hw_);
  for (int y = 0; y < hw_; ++y)
    for (int x = 0; x < ww_; ++x)
      invCount_[static_cast<size_t>(y) * ww_ + x] = 1.f / static_cast<float>(nx[static_cast<size_t>(x)] * ny[static_cast<size_t>(y)]);
  rowSum_.assign(static_cast<size_t>(width), 0);
  down_.assign(invCount_.size(), 0.f);
  acc_.assign(invCount_.size(), 0.0);
  makeTemplates(coarse_);
  makeTemplates(fine_);
  rowAct_.assign(static_cast<size_t>(hw_), 0);
  colAct_.assign(static_cast<size_t>(ww_), 0);
}

// The pilot template at the grid's resolution, mean removed, conj FFT, in each orientation.
void Detector::makeTemplates(Grid& g) const {
  std::vector<float> pilot(tk_.pilot, tk_.pilot + kTileCells), tmpl, t;
  renderPattern(pilot, g.bins, g.bins, static_cast<double>(g.bins) / kCells, 1.f, tmpl);
  double mean = 0;
  for (float v : tmpl) mean += v;
  mean /= static_cast<double>(tmpl.size());
  for (float& v : tmpl) v -= static_cast<float>(mean);
  for (int o = 0; o < 4; ++o) {
    orient(tmpl, o, g.bins, t);
    g.tRe[o] = t;
    g.tIm[o].assign(t.size(), 0.f);
    g.fft.transform(g.tRe[o].data(), g.tIm[o].data(), false);
    for (float& v : g.tIm[o]) v = -v;
  }
}

void Detector::reset() {
  std::fill(acc_.begin(), acc_.end(), 0.0);
  wsum_ = 0;
  frames_ = 0;
  segs_.clear();
  segFrames_.clear();
  segLen_ = 1;
  std::fill(rowAct_.begin(), rowAct_.end(), 0);
  std::fill(colAct_.begin(), colAct_.end(), 0);
  rowMean0_.clear();
  colMean0_.clear();
  frameMeans_.clear();
  chipSegs_.clear();
}

// Which working rows/columns carry picture in this frame (down_, 8-bit levels).
void Detector::noteActive() {
  std::vector<double> cs(static_cast<size_t>(ww_), 0.0), cq(static_cast<size_t>(ww_), 0.0);
  std::vector<float> rm(static_cast<size_t>(hw_)), cm(static_cast<size_t>(ww_));
  std::vector<float> rsd(static_cast<size_t>(hw_)), csd(static_cast<size_t>(ww_));
  for (int y = 0; y < hw_; ++y) {
    const float* d = &down_[static_cast<size_t>(y) * ww_];
    double s = 0, q = 0;
    for (int x = 0; x < ww_; ++x) {
      s += d[x];
      q += static_cast<double>(d[x]) * d[x];
      cs[static_cast<size_t>(x)] += d[x];
      cq[static_cast<size_t>(x)] += static_cast<double>(d[x]) * d[x];
    }
    double m = s / ww_;
    rm[static_cast<size_t>(y)] = static_cast<float>(m);
    rsd[static_cast<size_t>(y)] = static_cast<float>(std::sqrt(std::max(0.0, q / ww_ - m * m)));
  }
  for (int x = 0; x < ww_; ++x) {
    double m = cs[static_cast<size_t>(x)] / hw_;
    cm[static_cast<size_t>(x)] = static_cast<float>(m);
    csd[static_cast<size_t>(x)] = static_cast<float>(std::sqrt(std::max(0.0, cq[static_cast<size_t>(x)] / hw_ - m * m)));
  }
  if (rowMean0_.empty()) { rowMean0_ = rm; colMean0_ = cm; }
  for (size_t y = 0; y < rm.size(); ++y)
    if (rsd[y] > kBandStd || std::fabs(rm[y] - rowMean0_[y]) > kBandDrift) rowAct_[y]++;
  for (size_t x = 0; x < cm.size(); ++x)
    if (csd[x] > kBandStd || std::fabs(cm[x] - colMean0_[x]) > kBandDrift) colAct_[x]++;
}

// The active picture: from the first to the last row (column) that carried
// picture; a side where a band was found loses kBandEdge more lines. An axis
// that would keep under 30 % is kept whole (a dark clip is not all band).
Detector::Area Detector::activeArea() const {
  const int need = std::max(1, frames_ / 20);
  auto span = [need](const std::vector<int>& act, int n, int* a, int* len) {
    int lo = 0, hi = n - 1;
    while (lo < n && act[static_cast<size_t>(lo)] < need) ++lo;
    while (hi >= 0 && act[static_cast<size_t>(hi)] < need) --hi;
    if (lo > 0) lo += kBandEdge;
    if (hi < n - 1) hi -= kBandEdge;
    if (hi - lo + 1 < (3 * n) / 10) { lo = 0; hi = n - 1; }
    *a = lo;
    *len = hi - lo + 1;
  };
  Area a;
  span(rowAct_, hw_, &a.y0, &a.h);
  span(colAct_, ww_, &a.x0, &a.w);
  return a;
}

template <typename T>
void Detector::downsample(const T* plane, int stride, float scale) {
  std::fill(down_.begin(), down_.end(), 0.f);
  const int W = w_;
  uint32_t* __restrict rs = rowSum_.data();
  for (int y = 0; y < h_; ++y) {
    const T* __restrict row = plane + static_cast<size_t>(y) * stride;
    for (int x = 0; x < W; ++x) rs[x] += row[x];
    int wy = ymap_[static_cast<size_t>(y)];
    if (y == h_ - 1 || ymap_[static_cast<size_t>(y) + 1] != wy) {
      float* d = &down_[static_cast<size_t>(wy) * ww_];
      for (int x = 0; x < W; ++x) {
        d[xmap_[static_cast<size_t>(x)]] += static_cast<float>(rs[x]);
        rs[x] = 0;
      }
    }
  }
  for (size_t i = 0; i < down_.size(); ++i) down_[i] *= invCount_[i] * scale;
}

void Detector::addResidual() {
  noteActive();
  std::vector<float> blur;
  boxBlur(down_, blur, tmp_, ww_, hw_, kBoxRadius);
  res_.resize(down_.size());
  double sabs = 0;
  for (size_t i = 0; i < down_.size(); ++i) {
    res_[i] = down_[i] - blur[i];
    sabs += std::fabs(res_[i]);
  }
  (void)sabs;
  // Local variance normalisation: each sample is divided by the local host
  // power (9x9), after clipping at 3 local sigmas. Textured areas, where the
  // host dominates, count less; edges (letterbox bars, cuts) are clipped.
  std::vector<float> sq(res_.size()), lv;
  for (size_t i = 0; i < res_.size(); ++i) sq[i] = res_[i] * res_[i];
  boxBlur(sq, lv, tmp_, ww_, hw_, kVarRadius);
  for (size_t i = 0; i < res_.size(); ++i) {
    float sd = std::sqrt(lv[i] + kVarFloor * kVarFloor);
    float n = std::min(kClipSigmas, std::max(-kClipSigmas, res_[i] / sd));
    res_[i] = n / sd;
    acc_[i] += res_[i];
  }
  if (readChips_ && frames_ < kChipReadFrames) {
    double level = 0;
    for (float v : down_) level += v;
    frameMeans_.push_back(static_cast<float>(level / static_cast<double>(down_.size())));
    if (frames_ % kChipSegFrames == 0) chipSegs_.push_back(res_);
    else
      for (size_t i = 0; i < res_.size(); ++i) chipSegs_.back()[i] += res_[i];
  }
  const float w = 1.f;
  wsum_ += w;
  ++frames_;
  // time segments for framesWithMark: merge pairs when full
  if (segs_.empty() || segFrames_.back() >= segLen_) {
    if (static_cast<int>(segs_.size()) >= kMaxSegments) {
      std::vector<std::vector<float>> merged;
      std::vector<int> mf;
      for (size_t i = 0; i + 1 < segs_.size(); i += 2) {
        std::vector<float> s = segs_[i];
        for (size_t k = 0; k < s.size(); ++k) s[k] += segs_[i + 1][k];
        merged.push_back(std::move(s));
        mf.push_back(segFrames_[i] + segFrames_[i + 1]);
      }
      if (segs_.size() % 2) { merged.push_back(segs_.back()); mf.push_back(segFrames_.back()); }
      segs_.swap(merged);
      segFrames_.swap(mf);
      segLen_ *= 2;
    }
    if (segs_.empty() || segFrames_.back() >= segLen_) {
      segs_.emplace_back(res_.size(), 0.f);
      segFrames_.push_back(0);
    }
  }
  std::vector<float>& s = segs_.back();
  for (size_t i = 0; i < res_.size(); ++i) s[i] += res_[i];
  segFrames_.back()++;
}

void Detector::accumulate8(const uint8_t* plane, int stride) {
  downsample(plane, stride, 1.f);
  addResidual();
}
void Detector::accumulate16(const uint16_t* plane, int stride) {
  downsample(plane, stride, depth_ == 10 ? 0.25f : 1.f);
  addResidual();
}
void Detector::accumulateFloat(const float* plane, int stride) {
  std::fill(down_.begin(), down_.end(), 0.f);
  for (int y = 0; y < h_; ++y) {
    const float* row = plane + static_cast<size_t>(y) * stride;
    float* d = &down_[static_cast<size_t>(ymap_[static_cast<size_t>(y)]) * ww_];
    for (int x = 0; x < w_; ++x) d[xmap_[static_cast<size_t>(x)]] += row[x];
  }
  for (size_t i = 0; i < down_.size(); ++i) down_[i] *= invCount_[i];
  addResidual();
}

// rows comes out transposed (w x n: each column's n row bins together), so that foldCols adds
// whole columns of n contiguous floats, which vectorises, where adding each pixel into its bin did
// not. Every bin sums the same pixels in the same order as before, so the fold is the same to the bit.
void Detector::foldRows(const float* r, int w, int h, double py, int n, std::vector<float>& rows, float* rowCount) const {
  thread_local std::vector<float> byRow;
  byRow.assign(static_cast<size_t>(n) * w, 0.f);
  for (int b = 0; b < n; ++b) rowCount[b] = 0.f;
  for (int y = 0; y < h; ++y) {
    double u = (y + 0.5) / py;
    int b = static_cast<int>((u - std::floor(u)) * n) & (n - 1);
    const float* row = r + static_cast<size_t>(y) * w;
    float* o = &byRow[static_cast<size_t>(b) * w];
    for (int x = 0; x < w; ++x) o[x] += row[x];
    rowCount[b] += 1.f;
  }
  rows.resize(static_cast<size_t>(n) * w);
  for (int b = 0; b < n; ++b)
    for (int x = 0; x < w; ++x) rows[static_cast<size_t>(x) * n + b] = byRow[static_cast<size_t>(b) * w + x];
}

void Detector::foldCols(const std::vector<float>& rows, const float* rowCount, int w, double px, int n, std::vector<float>& folded) const {
  thread_local std::vector<float> byCol;
  float colCount[kBins] = {};
  byCol.assign(static_cast<size_t>(n) * n, 0.f);
  for (int x = 0; x < w; ++x) {
    double u = (x + 0.5) / px;
    int b = static_cast<int>((u - std::floor(u)) * n) & (n - 1);
    colCount[b] += 1.f;
    const float* __restrict col = &rows[static_cast<size_t>(x) * n];
    float* __restrict f = &byCol[static_cast<size_t>(b) * n];
    for (int y = 0; y < n; ++y) f[y] += col[y];
  }
  folded.resize(static_cast<size_t>(n) * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) folded[static_cast<size_t>(y) * n + x] = byCol[static_cast<size_t>(x) * n + y];
  // every bin's count is rows-in-bin x columns-in-bin: the fold is over a rectangle
  double mean = 0;
  int filled = 0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float c = rowCount[y] * colCount[x];
      float& f = folded[static_cast<size_t>(y) * n + x];
      if (c > 0) { f /= c; mean += f; ++filled; }
    }
  if (filled) mean /= filled;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float& f = folded[static_cast<size_t>(y) * n + x];
      f = rowCount[y] * colCount[x] > 0 ? f - static_cast<float>(mean) : 0.f;
    }
  // Double-centre the folded tile: whole rows/columns (band edges, horizontal
  // lines) carry no pilot information but bias the search.
  float rowm[kBins], colm[kBins];
  for (int i = 0; i < n; ++i) rowm[i] = colm[i] = 0.f;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      rowm[y] += folded[static_cast<size_t>(y) * n + x];
      colm[x] += folded[static_cast<size_t>(y) * n + x];
    }
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) folded[static_cast<size_t>(y) * n + x] -= (rowm[y] + colm[x]) / n;
}

void Detector::fold(const float* r, int w, int h, double px, double py, std::vector<float>& folded) const {
  thread_local std::vector<float> rows;
  float rowCount[kBins];
  foldRows(r, w, h, py, kBins, rows, rowCount);
  foldCols(rows, rowCount, w, px, kBins, folded);
}

void Detector::orient(const std::vector<float>& folded, int o, int n, std::vector<float>& out) {
  out.resize(folded.size());
  for (int y = 0; y < n; ++y) {
    int sy = (o & 2) ? n - 1 - y : y;
    for (int x = 0; x < n; ++x) {
      int sx = (o & 1) ? n - 1 - x : x;
      out[static_cast<size_t>(y) * n + x] = folded[static_cast<size_t>(sy) * n + sx];
    }
  }
}

// Cyclic correlation with the pilot template by FFT. Two orientations share one
// inverse transform: each correlation is real, so one goes in the real part and
// the other in the imaginary part.
Detector::Hyp Detector::correlate(const std::vector<float>& folded, int orientMask, const Grid& g) const {
  const int n = g.bins;
  const size_t N = static_cast<size_t>(n) * n;
  thread_local std::vector<float> fr, fi, cr, ci;
  fr.assign(folded.begin(), folded.end());
  fi.assign(N, 0.f);
  g.fft.transform(fr.data(), fi.data(), false);
  Hyp best;
  best.peak = -1e30;
  int list[4], nl = 0;
  for (int o = 0; o < 4; ++o)
    if (orientMask & (1 << o)) list[nl++] = o;
  for (int k = 0; k < nl; k += 2) {
    const int oa = list[k], ob = k + 1 < nl ? list[k + 1] : -1;
    cr.resize(N);
    ci.resize(N);
    for (size_t i = 0; i < N; ++i) {
      // P = F * conj(T) (the templates are stored conjugated)
      float ar = fr[i] * g.tRe[oa][i] - fi[i] * g.tIm[oa][i], ai = fr[i] * g.tIm[oa][i] + fi[i] * g.tRe[oa][i];
      float br = 0.f, bi = 0.f;
      if (ob >= 0) { br = fr[i] * g.tRe[ob][i] - fi[i] * g.tIm[ob][i]; bi = fr[i] * g.tIm[ob][i] + fi[i] * g.tRe[ob][i]; }
      cr[i] = ar - bi;  // A + iB
      ci[i] = ai + br;
    }
    g.fft.transform(cr.data(), ci.data(), true);
    for (int part = 0; part < (ob >= 0 ? 2 : 1); ++part) {
      const std::vector<float>& m = part == 0 ? cr : ci;
      double ss = 0, top = -1e30;
      int bi = 0;
      for (size_t i = 0; i < N; ++i) {
        double v = m[i];
        ss += v * v;
        if (v > top) { top = v; bi = static_cast<int>(i); }
      }
      if (top <= best.peak) continue;
      Hyp h;
      h.oy = bi / n;
      h.ox = bi % n;
      h.orient = part == 0 ? oa : ob;
      // null spread of the correlation map, leaving out the main lobe (+-g.lobe bins)
      double sw = 0;
      int nw = 0;
      for (int dy = -g.lobe; dy <= g.lobe; ++dy)
        for (int dx = -g.lobe; dx <= g.lobe; ++dx) {
          double v = m[static_cast<size_t>(((h.oy + dy) & (n - 1)) * n + ((h.ox + dx) & (n - 1)))];
          sw += v * v;
          ++nw;
        }
      double rms = std::sqrt(std::max(0.0, ss - sw) / static_cast<double>(N - static_cast<size_t>(nw)));
      h.peak = top;
      h.z = rms > 0 ? top / rms : 0;
      best = h;
    }
  }
  return best;
}

void Detector::cellSoft(const std::vector<float>& folded, int ox, int oy, float* soft) const {
  float w[4];
  for (int k = 0; k < 4; ++k) w[k] = cellKernel(-0.375f + 0.25f * static_cast<float>(k));
  for (int i = 0; i < kCells; ++i)
    for (int j = 0; j < kCells; ++j) {
      float s = 0.f;
      for (int a = 0; a < 4; ++a) {
        int yy = (4 * i + a + oy) & (kBins - 1);
        for (int b = 0; b < 4; ++b) {
          int xx = (4 * j + b + ox) & (kBins - 1);
          s += w[a] * w[b] * folded[static_cast<size_t>(yy) * kBins + xx];
        }
      }
      soft[i * kCells + j] = s;
    }
}

double fitZ(const float* soft, const std::vector<float>& v) {
  double sv = 0, vv = 0;
  for (int i = 0; i < kTileCells; ++i) { sv += soft[i] * v[static_cast<size_t>(i)]; vv += v[static_cast<size_t>(i)] * v[static_cast<size_t>(i)]; }
  double a = sv / vv, rr = 0;
  for (int i = 0; i < kTileCells; ++i) { double e = soft[i] - a * v[static_cast<size_t>(i)]; rr += e * e; }
  double sigma = std::sqrt(rr / (kTileCells - 1));
  return sigma > 0 ? sv / (sigma * std::sqrt(vv)) : 0;
}

std::vector<float> codedSoft(const TileKey& tk, const float* soft) {
  double gp = 0;
  for (int i = 0; i < kTileCells; ++i) gp += soft[i] * tk.pilot[i];
  gp /= kTileCells;
  std::vector<float> coded(kCodedBits, 0.f);
  for (int i = 0; i < kTileCells; ++i)
    coded[static_cast<size_t>(tk.bitOf[i])] += (soft[i] - static_cast<float>(gp) * tk.pilot[i]) * tk.spread[i];
  return coded;
}

// The active picture of a w x h working plane (scaled by `scale`).
std::vector<float> Detector::cropActive(const std::vector<float>& plane, const Area& area, double scale) const {
  std::vector<float> r(static_cast<size_t>(area.w) * area.h);
  for (int y = 0; y < area.h; ++y)
    for (int x = 0; x < area.w; ++x)
      r[static_cast<size_t>(y) * area.w + x] = static_cast<float>(plane[static_cast<size_t>(y + area.y0) * ww_ + (x + area.x0)] * scale);
  return r;
}

static_assert(kNumAngles == 3, "Detector::kNumAngleHyps counts kAngles");

DetectResult Detector::result() const {
  DetectResult out;
  out.framesUsed = frames_;
  if (frames_ == 0 || wsum_ <= 0) return out;
  // the active picture, copied out of the accumulated residual
  const Area area = activeArea();
  const int aw = area.w, ah = area.h;
  std::vector<float> r(static_cast<size_t>(aw) * ah);
  for (int y = 0; y < ah; ++y)
    for (int x = 0; x < aw; ++x)
      r[static_cast<size_t>(y) * aw + x] = static_cast<float>(acc_[static_cast<size_t>(y + area.y0) * ww_ + (x + area.x0)] / wsum_);
  const double wx = static_cast<double>(w_) / ww_, wy = static_cast<double>(h_) / hw_;
  out.activeX = static_cast<int>(std::lround(area.x0 * wx));
  out.activeY = static_cast<int>(std::lround(area.y0 * wy));
  out.activeWidth = static_cast<int>(std::lround(aw * wx));
  out.activeHeight = static_cast<int>(std::lround(ah * wy));
  const DetectResult blank = out;

  // Version 1 (and any copy whose frames mostly share one sign): the plain sum of all frames.
  std::vector<float> rot[kNumAngles];
  for (int k = 0; k < kNumAngles; ++k) rotatePlane(r, aw, ah, kAngles[k], rot[k]);
  std::vector<Hyp> coarse = coarseStatic(rot, aw, ah);
  int nh = static_cast<int>(coarse.size());
  readCandidates(r, area, std::move(coarse), nh, {segs_, segFrames_, std::vector<float>(segs_.size(), 1.f)}, 0, out);
  if (out.found || segs_.empty()) {
    out.confidence = 1.0 - out.falseAlarmProbability;
    return out;
  }
  if (readChips_ && readChipped(area, blank, out)) return out;

  // Version 2: the tile's sign changes every kSignGroupFrames, so the plain sum may hold nothing
  // (and does after the estimation attack). Windows of consecutive frames are searched together
  // (sum over windows of each one's squared pilot correlation: blind to each window's sign); at
  // the best coarse alignments each window's sign is read off its own correlation, and the
  // sign-corrected sum goes through the version-1 stages.
  std::vector<int> windowOf;
  std::vector<std::vector<float>> windows = signWindows(area, windowOf);
  std::vector<Hyp> signedCoarse = coarseSigned(windows, aw, ah);
  int nh2 = nh + static_cast<int>(signedCoarse.size());
  std::sort(signedCoarse.begin(), signedCoarse.end(), [](const Hyp& x, const Hyp& y) { return x.peak > y.peak; });
  std::vector<Hyp> tries;
  for (const Hyp& h : signedCoarse) {
    bool near = false;
    for (const Hyp& c : tries)
      if (c.orient == h.orient && c.angle == h.angle && std::fabs(aw / h.px - aw / c.px) < 2 * kNxStep && std::fabs(ah / h.py - ah / c.py) < 2 * kNyStep) near = true;
    if (!near) tries.push_back(h);
    if (tries.size() >= kSignedTries) break;
  }
  // Each try is read once, with windows of a whole sign group whose boundaries are placed at the
  // phase groupPhase finds (a clip cut at an arbitrary frame has its groups anywhere), or, where
  // the clip is too long for that, with the 96-frame windows of the search itself. One read per try
  // keeps the MAC's share of the false-alarm figure where it was (readCandidates).
  for (const Hyp& c : tries) {
    std::vector<int> phaseOf;
    int phase = -1;
    const Hyp ph = groupPhase(area, c, phaseOf, phase);
    const bool phased = !phaseOf.empty();
    const Hyp& h = phased ? ph : c;
    const std::vector<int>& of = phased ? phaseOf : windowOf;
    std::vector<float> segSign(segs_.size());
    for (size_t s = 0; s < segs_.size(); ++s) segSign[s] = (h.minus >> of[s]) & 1u ? -1.f : 1.f;
    DetectResult t = blank;
    readCandidates(signedSum(area, segSign), area, {h}, nh2, {segs_, segFrames_, segSign}, static_cast<int>(kSignedTries), t);
    if (t.found) {
      t.timeVarying = true;
      t.signPhase = phase;
      t.confidence = 1.0 - t.falseAlarmProbability;
      return t;
    }
  }
  out.hypotheses = nh2;
  out.confidence = 1.0 - out.falseAlarmProbability;
  return out;
}

// Coarse search at 2 bins per cell: for each rotation and vertical period (ny
// repeats over the active height), horizontal periods with px/py in
// [kAMin, kAMax], all 4 orientations.
std::vector<Detector::Hyp> Detector::coarseStatic(const std::vector<float> (&rot)[kNumAngleHyps], int aw, int ah) const {
  std::vector<Hyp> coarse;
  std::vector<float> rows, folded;
  float rowCount[kBins];
  for (int k = 0; k < kNumAngles; ++k)
    for (double ny = kNyMin; ny <= kNyMax + 1e-9; ny += kNyStep) {
      const double py = ah / ny;
      foldRows(rot[k].data(), aw, ah, py, coarse_.bins, rows, rowCount);
      const double nxLo = aw / (py * kAMax), nxHi = aw / (py * kAMin);
      for (double nx = nxLo; nx <= nxHi + 1e-9; nx += kNxStep) {
        const double px = aw / nx;
        foldCols(rows, rowCount, aw, px, coarse_.bins, folded);
        Hyp h = correlate(folded, 0xF, coarse_);
        h.px = px;
        h.py = py;
        h.angle = k;
        coarse.push_back(h);
      }
    }
  return coarse;
}

// The version-2 windows: consecutive time segments summed until each holds kSignWindowFrames
// (at most 64 windows; the last, if short, joins the one before), cropped to the active picture.
std::vector<std::vector<float>> Detector::signWindows(const Area& area, std::vector<int>& windowOf) const {
  const int want = std::max(kSignWindowFrames, (frames_ + 63) / 64);
  std::vector<std::vector<float>> windows;
  std::vector<int> counts;
  windowOf.assign(segs_.size(), 0);
  for (size_t s = 0; s < segs_.size(); ++s) {
    if (windows.empty() || counts.back() >= want) {
      windows.emplace_back(segs_[s].size(), 0.f);
      counts.push_back(0);
    }
    std::vector<float>& w = windows.back();
    for (size_t i = 0; i < w.size(); ++i) w[i] += segs_[s][i];
    counts.back() += segFrames_[s];
    windowOf[s] = static_cast<int>(windows.size()) - 1;
  }
  if (windows.size() > 1 && counts.back() < want / 2) {
    std::vector<float>& prev = windows[windows.size() - 2];
    for (size_t i = 0; i < prev.size(); ++i) prev[i] += windows.back()[i];
    windows.pop_back();
    for (int& w : windowOf) w = std::min(w, static_cast<int>(windows.size()) - 1);
  }
  for (std::vector<float>& w : windows) w = cropActive(w, area, 1.0);
  return windows;
}

// The coarse grid of coarseStatic, each hypothesis scored by the sum over windows of the squared
// pilot correlation (each window's map in units of its own rms), with the signs each window's
// correlation has at the best offset.
std::vector<Detector::Hyp> Detector::coarseSigned(const std::vector<std::vector<float>>& windows, int aw, int ah) const {
  const size_t nw = windows.size();
  std::vector<std::vector<float>> rot(nw), rows(nw);
  std::vector<std::vector<float>> folded(nw);
  std::vector<Hyp> coarse;
  float rowCount[kBins];
  for (int k = 0; k < kNumAngles; ++k) {
    for (size_t j = 0; j < nw; ++j) rotatePlane(windows[j], aw, ah, kAngles[k], rot[j]);
    for (double ny = kNyMin; ny <= kNyMax + 1e-9; ny += kNyStep) {
      const double py = ah / ny;
      for (size_t j = 0; j < nw; ++j) foldRows(rot[j].data(), aw, ah, py, coarse_.bins, rows[j], rowCount);
      const double nxLo = aw / (py * kAMax), nxHi = aw / (py * kAMin);
      for (double nx = nxLo; nx <= nxHi + 1e-9; nx += kNxStep) {
        const double px = aw / nx;
        for (size_t j = 0; j < nw; ++j) foldCols(rows[j], rowCount, aw, px, coarse_.bins, folded[j]);
        Hyp h = correlateWindows(folded, coarse_);
        h.px = px;
        h.py = py;
        h.angle = k;
        coarse.push_back(h);
      }
    }
  }
  return coarse;
}

// Version 2 at one coarse alignment c: where the sign groups start. The time segments are folded
// once at c; windows of a whole group (kSignGroupFrames) are formed with their boundaries at each
// segment start within one group (every kPhaseStep frames at least), and the phase whose windows
// give the largest sign-agnostic energy excess wins: at the true phase no window straddles two
// groups, at any other some hold both signs and partly cancel. windowOf: each segment's window
// (empty when the clip is too long for 64 windows of a group, or the segments span a group);
// phase: the clip frame of the boundaries, 0..191.
Detector::Hyp Detector::groupPhase(const Area& area, const Hyp& c, std::vector<int>& windowOf, int& phase) const {
  windowOf.clear();
  phase = -1;
  Hyp best;
  const int G = kSignGroupFrames;
  if (segs_.empty() || segLen_ >= G || frames_ / G + 2 > 64) return best;
  const int aw = area.w, ah = area.h;
  std::vector<std::vector<float>> segFold(segs_.size());
  std::vector<float> rot, rows;
  float rowCount[kBins];
  std::vector<int> start(segs_.size());
  for (size_t s = 0, f = 0; s < segs_.size(); f += static_cast<size_t>(segFrames_[s]), ++s) {
    start[s] = static_cast<int>(f);
    rotatePlane(cropActive(segs_[s], area, 1.0), aw, ah, kAngles[c.angle], rot);
    foldRows(rot.data(), aw, ah, c.py, coarse_.bins, rows, rowCount);
    foldCols(rows, rowCount, aw, c.px, coarse_.bins, segFold[s]);
  }
  const int step = std::max(segLen_, kPhaseStep);
  const size_t at = static_cast<size_t>(c.orient) * coarse_.bins * coarse_.bins + static_cast<size_t>(c.oy) * coarse_.bins + c.ox;
  double bestE = -1e30;
  std::vector<int> of(segs_.size()), frames;
  std::vector<std::vector<float>> folded;
  for (int p = 0; p < G; p += step) {
    // boundaries at frames p, p + G, ...: window k + 1 starts at p + k G
    const int first = (start[0] + G - p) / G;
    folded.clear();
    frames.clear();
    for (size_t s = 0; s < segs_.size(); ++s) {
      of[s] = (start[s] + G - p) / G - first;
      if (static_cast<size_t>(of[s]) >= folded.size()) { folded.emplace_back(segFold[s].size(), 0.f); frames.push_back(0); }
      std::vector<float>& w = folded[static_cast<size_t>(of[s])];
      for (size_t i = 0; i < w.size(); ++i) w[i] += segFold[s][i];
      frames[static_cast<size_t>(of[s])] += segFrames_[s];
    }
    // The pilot's energy at c's offset: per window, its correlation there squared less the map's
    // mean square (the noise), over its frame count (noise power grows with frames, the tile's
    // correlation with the frames of one sign less those of the other). Normalising each window by
    // its own map instead saturates on a strong mark and then favours more, straddled windows.
    std::vector<double> value, meanSquare;
    windowMaps(folded, coarse_, at, value, meanSquare);
    double e = 0;
    uint64_t minus = 0;
    for (size_t j = 0; j < folded.size(); ++j) {
      e += (value[j] * value[j] - meanSquare[j]) / std::max(1, frames[j]);
      if (value[j] < 0) minus |= uint64_t{1} << j;
    }
    if (e <= bestE) continue;
    bestE = e;
    best = c;
    best.minus = minus;
    windowOf = of;
    phase = p;
  }
  return best;
}

// Per window, the raw pilot correlation map (coarse orientations as in correlateWindows): its value
// at index at (orientation * N + offset) and its mean square over that orientation's offsets.
void Detector::windowMaps(const std::vector<std::vector<float>>& folded, const Grid& g, size_t at, std::vector<double>& value,
                          std::vector<double>& meanSquare) const {
  const int n = g.bins;
  const size_t N = static_cast<size_t>(n) * n;
  const int o = static_cast<int>(at / N);
  std::vector<float> fr, fi;
  value.assign(folded.size(), 0.0);
  meanSquare.assign(folded.size(), 0.0);
  for (size_t j = 0; j < folded.size(); ++j) {
    fr.assign(folded[j].begin(), folded[j].end());
    fi.assign(N, 0.f);
    g.fft.transform(fr.data(), fi.data(), false);
    std::vector<float> cr(N), ci(N);
    for (size_t i = 0; i < N; ++i) {
      cr[i] = fr[i] * g.tRe[o][i] - fi[i] * g.tIm[o][i];
      ci[i] = fr[i] * g.tIm[o][i] + fi[i] * g.tRe[o][i];
    }
    g.fft.transform(cr.data(), ci.data(), true);
    double ss = 0;
    for (size_t i = 0; i < N; ++i) ss += static_cast<double>(cr[i]) * cr[i];
    value[j] = cr[at % N];
    meanSquare[j] = ss / static_cast<double>(N);
  }
}

// The active picture of the segments' sum, each segment times its sign, per frame.
std::vector<float> Detector::signedSum(const Area& area, const std::vector<float>& segSign) const {
  std::vector<float> sum(segs_[0].size(), 0.f);
  for (size_t s = 0; s < segs_.size(); ++s)
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += segSign[s] * segs_[s][i];
  return cropActive(sum, area, 1.0 / wsum_);
}

Detector::Hyp Detector::correlateWindows(const std::vector<std::vector<float>>& folded, const Grid& g) const {
  const int n = g.bins;
  const size_t N = static_cast<size_t>(n) * n;
  thread_local std::vector<float> fr, fi, cr, ci, energy;
  thread_local std::vector<std::vector<float>> maps;  // per window, 4 orientations x N
  const size_t nw = folded.size();
  maps.resize(nw);
  energy.assign(4 * N, 0.f);
  for (size_t j = 0; j < nw; ++j) {
    fr.assign(folded[j].begin(), folded[j].end());
    fi.assign(N, 0.f);
    g.fft.transform(fr.data(), fi.data(), false);
    maps[j].resize(4 * N);
    for (int oa = 0; oa < 4; oa += 2) {
      const int ob = oa + 1;
      cr.resize(N);
      ci.resize(N);
      for (size_t i = 0; i < N; ++i) {
        float ar = fr[i] * g.tRe[oa][i] - fi[i] * g.tIm[oa][i], ai = fr[i] * g.tIm[oa][i] + fi[i] * g.tRe[oa][i];
        float br = fr[i] * g.tRe[ob][i] - fi[i] * g.tIm[ob][i], bi = fr[i] * g.tIm[ob][i] + fi[i] * g.tRe[ob][i];
        cr[i] = ar - bi;
        ci[i] = ai + br;
      }
      g.fft.transform(cr.data(), ci.data(), true);
      for (int part = 0; part < 2; ++part) {
        const std::vector<float>& m = part == 0 ? cr : ci;
        double ss = 0;
        for (size_t i = 0; i < N; ++i) ss += static_cast<double>(m[i]) * m[i];
        const float inv = ss > 0 ? static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(N))) : 0.f;
        float* dst = &maps[j][static_cast<size_t>(oa + part) * N];
        float* e = &energy[static_cast<size_t>(oa + part) * N];
        for (size_t i = 0; i < N; ++i) {
          dst[i] = m[i] * inv;
          e[i] += dst[i] * dst[i];
        }
      }
    }
  }
  size_t best = 0;
  for (size_t i = 1; i < energy.size(); ++i)
    if (energy[i] > energy[best]) best = i;
  Hyp h;
  h.orient = static_cast<int>(best / N);
  const int at = static_cast<int>(best % N);
  h.oy = at / n;
  h.ox = at % n;
  h.peak = energy[best];
  // chi-square with nw degrees of freedom under the null: its excess in standard deviations
  h.z = (energy[best] - static_cast<double>(nw)) / std::sqrt(2.0 * static_cast<double>(nw));
  for (size_t j = 0; j < nw; ++j)
    if (maps[j][best] < 0) h.minus |= uint64_t{1} << j;
  return h;
}

// Version 3: the chip sync's best starts, each read as a version-1 sum of the frame pairs weighted
// by the chip factor they carry there. The sync comes from the frames' levels, not from the tile,
// so the pilot's z would be a fair test of each read; the false-alarm figure still rests on the
// MAC alone (times the reads made), as the version-2 reads' does. framesWithMark is counted over
// runs of 24 pairs, each sign-corrected by its factor before it is summed.
bool Detector::readChipped(const Area& area, const DetectResult& blank, DetectResult& out) const {
  const std::vector<ChipStart> starts = findChipStarts(frameMeans_, chipSeed_, kChipTries);
  if (!starts.empty()) { out.chipStart = starts[0].start; out.syncZ = starts[0].z; }
  constexpr size_t kRunPairs = 24;
  const int nh = out.hypotheses;
  for (const ChipStart& st : starts) {
    std::vector<float> weight(chipSegs_.size());
    for (size_t j = 0; j < chipSegs_.size(); ++j) {
      double f = 0;
      for (int k = 0; k < kChipSegFrames; ++k) f += chipFactor(chipSeed_, static_cast<uint64_t>(st.start) + j * kChipSegFrames + static_cast<uint64_t>(k));
      weight[j] = static_cast<float>(f / kChipSegFrames);
    }
    std::vector<float> sum(res_.size(), 0.f);
    std::vector<std::vector<float>> runs;
    std::vector<int> runFrames;
    for (size_t j = 0; j < chipSegs_.size(); ++j) {
      if (j % kRunPairs == 0) { runs.emplace_back(res_.size(), 0.f); runFrames.push_back(0); }
      for (size_t i = 0; i < sum.size(); ++i) {
        const float v = weight[j] * chipSegs_[j][i];
        sum[i] += v;
        runs.back()[i] += v;
      }
      runFrames.back() += kChipSegFrames;
    }
    std::vector<float> r = cropActive(sum, area, 1.0 / wsum_);
    std::vector<float> rot[kNumAngles];
    for (int k = 0; k < kNumAngles; ++k) rotatePlane(r, area.w, area.h, kAngles[k], rot[k]);
    DetectResult t = blank;
    readCandidates(r, area, coarseStatic(rot, area.w, area.h), nh, {runs, runFrames, std::vector<float>(runs.size(), 1.f)}, kChipTries, t);
    if (t.found) {
      t.timeVarying = true;
      t.chipStart = st.start;
      t.syncZ = st.z;
      t.confidence = 1.0 - t.falseAlarmProbability;
      out = t;
      return true;
    }
  }
  return false;
}

// From coarse hypotheses on the residual r (active picture) to a decoded payload: the best
// distinct ones read again at 4 bins per cell, refined in period and rotation, decoded. time: the
// segments framesWithMark is counted over. macTries > 0: r was made by that many data-dependent
// reads (version 2 reads each window's sign off the data itself, which biases the pilot peak
// upwards), so the false-alarm figure rests on the MAC alone.
void Detector::readCandidates(const std::vector<float>& r, const Area& area, std::vector<Hyp> coarse, int nh, const TimeSegments& time,
                              int macTries, DetectResult& out) const {
  const int aw = area.w, ah = area.h;
  const double wx = static_cast<double>(w_) / ww_, wy = static_cast<double>(h_) / hw_;
  std::vector<float> rot[kNumAngles];
  for (int k = 0; k < kNumAngles; ++k) rotatePlane(r, aw, ah, kAngles[k], rot[k]);
  std::vector<float> rows, folded;
  float rowCount[kBins];
  std::sort(coarse.begin(), coarse.end(), [](const Hyp& x, const Hyp& y) { return x.peak > y.peak; });
  auto distinct = [&](const std::vector<Hyp>& from, size_t most) {
    std::vector<Hyp> keep;
    for (const Hyp& h : from) {
      bool near = false;
      for (const Hyp& c : keep)
        if (c.orient == h.orient && c.angle == h.angle && std::fabs(aw / h.px - aw / c.px) < 2 * kNxStep && std::fabs(ah / h.py - ah / c.py) < 2 * kNyStep) near = true;
      if (!near) keep.push_back(h);
      if (keep.size() >= most) break;
    }
    return keep;
  };
  // the best distinct coarse peaks, read again at 4 bins per cell in their orientation
  std::vector<Hyp> recheck = distinct(coarse, kRecheck);
  for (Hyp& c : recheck) {
    fold(rot[c.angle].data(), aw, ah, c.px, c.py, folded);
    Hyp h = correlate(folded, 1 << c.orient, fine_);
    h.px = c.px;
    h.py = c.py;
    h.angle = c.angle;
    c = h;
    ++nh;
  }
  std::sort(recheck.begin(), recheck.end(), [](const Hyp& x, const Hyp& y) { return x.peak > y.peak; });
  std::vector<Hyp> cands = distinct(recheck, kCandidates);
  // Refine each candidate: period on a grid of sixths of a coarse step, then the
  // rotation by +-kAngleRefine around its coarse angle (with a small period grid).
  std::vector<double> angleOf;   // degrees per rotated plane in rot (grows as refinement adds some)
  for (int k = 0; k < kNumAngles; ++k) angleOf.push_back(kAngles[k]);
  std::vector<std::vector<float>> extra;
  auto plane = [&](int k) -> const std::vector<float>& { return k < kNumAngles ? rot[k] : extra[static_cast<size_t>(k - kNumAngles)]; };
  auto refine = [&](Hyp c, int k, int span) {
    Hyp best = c;
    best.peak = -1e30;
    for (int i = -span; i <= span; ++i) {
      const double py = ah / (ah / c.py + i * kNyStep / 6.0);
      foldRows(plane(k).data(), aw, ah, py, fine_.bins, rows, rowCount);
      for (int j = -span; j <= span; ++j) {
        const double px = aw / (aw / c.px + j * kNxStep / 6.0);
        foldCols(rows, rowCount, aw, px, fine_.bins, folded);
        Hyp h = correlate(folded, 1 << c.orient, fine_);
        h.px = px;
        h.py = py;
        h.angle = k;
        ++nh;
        if (h.peak > best.peak) best = h;
      }
    }
    return best;
  };
  for (Hyp& c : cands) {
    Hyp best = refine(c, c.angle, kRefine);
    for (double d : {-kAngleRefine, kAngleRefine}) {
      extra.emplace_back();
      rotatePlane(r, aw, ah, angleOf[static_cast<size_t>(c.angle)] + d, extra.back());
      angleOf.push_back(angleOf[static_cast<size_t>(c.angle)] + d);
      Hyp h = refine(best, static_cast<int>(angleOf.size()) - 1, 1);
      if (h.peak > best.peak) best = h;
    }
    c = best;
  }
  std::sort(cands.begin(), cands.end(), [](const Hyp& x, const Hyp& y) { return x.peak > y.peak; });
  out.hypotheses = nh;
  const double nEff = 4.0 * nh * kBins * kBins;  // periods and rotations x orientations x offsets
  double pPilot = std::min(1.0, nEff * normalTail(cands.empty() ? 0 : cands[0].z));
  out.pilotZ = cands.empty() ? 0 : cands[0].z;
  out.falseAlarmProbability = pPilot;
  if (!cands.empty()) { out.periodX = cands[0].px * wx; out.periodY = cands[0].py * wy; }
  for (const Hyp& c : cands) {
    // un-mirror the folded tile, then find its offset against the plain template
    std::vector<float> f0, f;
    fold(plane(c.angle).data(), aw, ah, c.px, c.py, f0);
    orient(f0, c.orient, kBins, f);
    const Hyp at = correlate(f, 1, fine_);
    float soft[kTileCells];
    cellSoft(f, at.ox, at.oy, soft);
    out.alignmentSoft.emplace_back(soft, soft + kTileCells);
    out.alignmentZ.push_back(c.z);
    uint32_t id = 0;
    if (!decodePayload(key_, codedSoft(tk_, soft), &id)) continue;
    std::vector<float> v = tileValues(tk_, encodePayload(key_, id));
    out.found = true;
    out.payload = id;
    out.pilotZ = c.z;
    out.dataZ = fitZ(soft, v);
    out.periodX = c.px * wx;
    out.periodY = c.py * wy;
    out.mirroredX = (c.orient & 1) != 0;
    out.mirroredY = (c.orient & 2) != 0;
    out.rotation = angleOf[static_cast<size_t>(c.angle)];
    double pP = macTries > 0 ? static_cast<double>(macTries) : std::min(1.0, nEff * normalTail(c.z));
    out.falseAlarmProbability = pP * std::ldexp(1.0, -kMacBits) * static_cast<double>(kCandidates);
    // frames with mark: per time segment correlation at the found alignment
    int marked = 0;
    std::vector<float> seg(r.size()), segRot, fs0, fs;
    for (size_t s = 0; s < time.planes.size(); ++s) {
      for (int y = 0; y < ah; ++y)
        for (int x = 0; x < aw; ++x) seg[static_cast<size_t>(y) * aw + x] = time.sign[s] * time.planes[s][static_cast<size_t>(y + area.y0) * ww_ + (x + area.x0)];
      rotatePlane(seg, aw, ah, angleOf[static_cast<size_t>(c.angle)], segRot);
      fold(segRot.data(), aw, ah, c.px, c.py, fs0);
      orient(fs0, c.orient, kBins, fs);
      float ss[kTileCells];
      cellSoft(fs, at.ox, at.oy, ss);
      if (fitZ(ss, v) >= kSegmentZ) marked += time.frames[s];
    }
    out.framesWithMark = marked;
    break;
  }
}

}  // namespace vigil
