#include "detect.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <stdexcept>

#include "ecc.h"
#include "fft.h"

namespace vigil {

namespace {
using cpx = std::complex<float>;

// Search ranges: tile period relative to the nominal (half the input height)
// covers letterboxing (content shrunk to 55 %) up to 26 % crop-and-rescale;
// horizontal/vertical period ratio covers anisotropic rescales.
constexpr double kRyMin = 0.55, kRyMax = 1.35, kRyStep = 1.02;
constexpr double kAMin = 0.75, kAMax = 1.35, kAStep = 1.015;
constexpr float kClipSigmas = 3.0f;
constexpr int kBoxRadius = 2;   // high-pass: minus the 5x5 mean at working res (cell = 4 px)
constexpr double kSegmentZ = 3.0;
constexpr int kLobe = 4;
constexpr int kVarRadius = 4;    // local host power window (9x9)
constexpr float kVarFloor = 2.0f;  // levels: floor of the local deviation
constexpr size_t kCandidates = 5;

double normalTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }
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

Detector::Detector(const uint8_t key[32], int width, int height, int bitDepth) : w_(width), h_(height), depth_(bitDepth) {
  if (width < 32 || height < 32) throw std::invalid_argument("frame too small (min 32x32)");
  if (bitDepth != 8 && bitDepth != 10) throw std::invalid_argument("bitDepth must be 8 or 10");
  std::memcpy(key_, key, 32);
  tk_ = makeTileKey(key);
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
  // pilot template at fold resolution (4 bins per cell), conj FFT
  std::vector<float> pilot(tk_.pilot, tk_.pilot + kTileCells), tmpl;
  renderPattern(pilot, kBins, kBins, static_cast<double>(kBins) / kCells, 1.f, tmpl);
  double mean = 0;
  for (float v : tmpl) mean += v;
  mean /= static_cast<double>(tmpl.size());
  std::vector<cpx> f(static_cast<size_t>(kBins) * kBins);
  for (size_t i = 0; i < f.size(); ++i) f[i] = cpx(static_cast<float>(tmpl[i] - mean), 0.f);
  fft2d(f.data(), kBins, false);
  templFft_.resize(f.size() * 2);
  for (size_t i = 0; i < f.size(); ++i) {
    templFft_[2 * i] = f[i].real();
    templFft_[2 * i + 1] = -f[i].imag();
  }
}

void Detector::reset() {
  std::fill(acc_.begin(), acc_.end(), 0.0);
  wsum_ = 0;
  frames_ = 0;
  segs_.clear();
  segFrames_.clear();
  segLen_ = 1;
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

void Detector::fold(const float* r, double px, double py, std::vector<float>& folded) const {
  thread_local std::vector<int> bx, by;
  thread_local std::vector<float> cnt;
  bx.resize(static_cast<size_t>(ww_));
  by.resize(static_cast<size_t>(hw_));
  for (int x = 0; x < ww_; ++x) {
    double u = (x + 0.5) / px;
    bx[static_cast<size_t>(x)] = static_cast<int>((u - std::floor(u)) * kBins) & (kBins - 1);
  }
  for (int y = 0; y < hw_; ++y) {
    double u = (y + 0.5) / py;
    by[static_cast<size_t>(y)] = (static_cast<int>((u - std::floor(u)) * kBins) & (kBins - 1)) * kBins;
  }
  folded.assign(static_cast<size_t>(kBins) * kBins, 0.f);
  cnt.assign(folded.size(), 0.f);
  for (int y = 0; y < hw_; ++y) {
    const float* row = r + static_cast<size_t>(y) * ww_;
    float* f = &folded[static_cast<size_t>(by[static_cast<size_t>(y)])];
    float* c = &cnt[static_cast<size_t>(by[static_cast<size_t>(y)])];
    for (int x = 0; x < ww_; ++x) {
      int b = bx[static_cast<size_t>(x)];
      f[b] += row[x];
      c[b] += 1.f;
    }
  }
  double mean = 0;
  int n = 0;
  for (size_t i = 0; i < folded.size(); ++i)
    if (cnt[i] > 0) { folded[i] /= cnt[i]; mean += folded[i]; ++n; }
  if (n) mean /= n;
  for (size_t i = 0; i < folded.size(); ++i) folded[i] = cnt[i] > 0 ? folded[i] - static_cast<float>(mean) : 0.f;
  // Double-centre the folded tile: whole rows/columns (letterbox bar edges,
  // horizontal lines) carry no pilot information but bias the search.
  float rowm[kBins], colm[kBins];
  for (int i = 0; i < kBins; ++i) rowm[i] = colm[i] = 0.f;
  for (int y = 0; y < kBins; ++y)
    for (int x = 0; x < kBins; ++x) {
      rowm[y] += folded[static_cast<size_t>(y) * kBins + x];
      colm[x] += folded[static_cast<size_t>(y) * kBins + x];
    }
  for (int y = 0; y < kBins; ++y)
    for (int x = 0; x < kBins; ++x) folded[static_cast<size_t>(y) * kBins + x] -= (rowm[y] + colm[x]) / kBins;
}

Detector::Hyp Detector::evalHyp(const float* r, double px, double py, std::vector<float>* foldedOut) const {
  thread_local std::vector<float> folded;
  thread_local std::vector<cpx> f;
  fold(r, px, py, folded);
  f.resize(folded.size());
  for (size_t i = 0; i < folded.size(); ++i) f[i] = cpx(folded[i], 0.f);
  fft2d(f.data(), kBins, false);
  for (size_t i = 0; i < f.size(); ++i) f[i] *= cpx(templFft_[2 * i], templFft_[2 * i + 1]);
  fft2d(f.data(), kBins, true);
  double ss = 0, best = -1e30;
  int bi = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    double v = f[i].real();
    ss += v * v;
    if (v > best) { best = v; bi = static_cast<int>(i); }
  }
  Hyp h;
  h.px = px;
  h.py = py;
  h.oy = bi / kBins;
  h.ox = bi % kBins;
  // null spread of the correlation map, leaving out the main lobe (+-kLobe bins)
  double sw = 0;
  int nw = 0;
  for (int dy = -kLobe; dy <= kLobe; ++dy)
    for (int dx = -kLobe; dx <= kLobe; ++dx) {
      double v = f[static_cast<size_t>(((h.oy + dy) & (kBins - 1)) * kBins + ((h.ox + dx) & (kBins - 1)))].real();
      sw += v * v;
      ++nw;
    }
  double rms = std::sqrt(std::max(0.0, ss - sw) / static_cast<double>(f.size() - static_cast<size_t>(nw)));
  h.peak = best;
  h.z = rms > 0 ? best / rms : 0;
  if (foldedOut) *foldedOut = folded;
  return h;
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

DetectResult Detector::result() const {
  DetectResult out;
  out.framesUsed = frames_;
  if (frames_ == 0 || wsum_ <= 0) return out;
  std::vector<float> r(acc_.size());
  for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<float>(acc_[i] / wsum_);
  const double py0 = hw_ / kTilesPerHeight;
  std::vector<Hyp> coarse;
  for (double ry = kRyMin; ry <= kRyMax * 1.0001; ry *= kRyStep)
    for (double a = kAMin; a <= kAMax * 1.0001; a *= kAStep) coarse.push_back(evalHyp(r.data(), py0 * ry * a, py0 * ry, nullptr));
  int nh = static_cast<int>(coarse.size());
  std::sort(coarse.begin(), coarse.end(), [](const Hyp& x, const Hyp& y) { return x.peak > y.peak; });
  // keep up to 3 distinct candidates, refine each on a finer grid
  std::vector<Hyp> cands;
  for (const Hyp& h : coarse) {
    bool near = false;
    for (const Hyp& c : cands)
      if (std::fabs(std::log(h.px / c.px)) < 0.03 && std::fabs(std::log(h.py / c.py)) < 0.05) near = true;
    if (!near) cands.push_back(h);
    if (cands.size() >= kCandidates) break;
  }
  for (Hyp& c : cands) {
    Hyp best = c;
    for (int i = -3; i <= 3; ++i)
      for (int j = -3; j <= 3; ++j) {
        double py = c.py * std::pow(kRyStep, i / 6.0);
        double px = c.px * std::pow(kAStep, j / 6.0) * std::pow(kRyStep, i / 6.0);
        Hyp h = evalHyp(r.data(), px, py, nullptr);
        ++nh;
        if (h.peak > best.peak) best = h;
      }
    c = best;
  }
  std::sort(cands.begin(), cands.end(), [](const Hyp& x, const Hyp& y) { return x.peak > y.peak; });
  out.hypotheses = nh;
  const double nEff = static_cast<double>(nh) * kBins * kBins;
  double pPilot = std::min(1.0, nEff * normalTail(cands.empty() ? 0 : cands[0].z));
  out.pilotZ = cands.empty() ? 0 : cands[0].z;
  out.falseAlarmProbability = pPilot;
  const double wx = static_cast<double>(w_) / ww_, wy = static_cast<double>(h_) / hw_;
  if (!cands.empty()) { out.periodX = cands[0].px * wx; out.periodY = cands[0].py * wy; }
  int attempts = 0;
  for (const Hyp& c : cands) {
    std::vector<float> folded;
    evalHyp(r.data(), c.px, c.py, &folded);
    float soft[kTileCells];
    cellSoft(folded, c.ox, c.oy, soft);
    ++attempts;
    uint32_t id = 0;
    if (!decodePayload(key_, codedSoft(tk_, soft), &id)) continue;
    std::vector<float> v = tileValues(tk_, encodePayload(key_, id));
    out.found = true;
    out.payload = id;
    out.pilotZ = c.z;
    out.dataZ = fitZ(soft, v);
    out.periodX = c.px * wx;
    out.periodY = c.py * wy;
    double pP = std::min(1.0, nEff * normalTail(c.z));
    out.falseAlarmProbability = pP * std::ldexp(1.0, -kMacBits) * static_cast<double>(kCandidates);
    // frames with mark: per time segment correlation at the found alignment
    int marked = 0;
    for (size_t s = 0; s < segs_.size(); ++s) {
      std::vector<float> fs;
      fold(segs_[s].data(), c.px, c.py, fs);
      float ss[kTileCells];
      cellSoft(fs, c.ox, c.oy, ss);
      if (fitZ(ss, v) >= kSegmentZ) marked += segFrames_[s];
    }
    out.framesWithMark = marked;
    break;
  }
  (void)attempts;
  out.confidence = 1.0 - out.falseAlarmProbability;
  return out;
}

}  // namespace vigil
