#include "chipsync.h"

#include <algorithm>
#include <cmath>

#include "pattern.h"

namespace vigil {

namespace {
constexpr int kHighPassRadius = 8;   // frames each side: one chip, so a chip's level is not averaged into its own baseline
constexpr int kNoiseRadius = 24;     // frames each side over which the local noise is measured
constexpr float kCutLevels = 6.f;    // a frame-to-frame jump of the mean above this (and kCutSigmas) is a cut
constexpr float kCutSigmas = 8.f;
constexpr float kClipSigmas = 2.5f;  // a flash or a fade step counts no more than this
constexpr float kNoiseFloor = 0.05f; // levels: the noise is never taken to be below this

float median(std::vector<float> v) {
  if (v.empty()) return 0.f;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  return v[mid];
}
}  // namespace

std::vector<float> chipSyncSignal(const std::vector<float>& m) {
  const int n = static_cast<int>(m.size());
  std::vector<float> h(static_cast<size_t>(n), 0.f);
  if (n < 2) return h;
  // cuts: a jump far above the clip's typical frame-to-frame change
  std::vector<float> steps;
  for (int i = 1; i < n; ++i) steps.push_back(std::fabs(m[static_cast<size_t>(i)] - m[static_cast<size_t>(i) - 1]));
  const float typical = 1.4826f * median(steps);
  const float cut = std::max(kCutLevels, kCutSigmas * typical);
  std::vector<int> shot(static_cast<size_t>(n), 0);
  for (int i = 1; i < n; ++i) shot[static_cast<size_t>(i)] = shot[static_cast<size_t>(i) - 1] + (steps[static_cast<size_t>(i) - 1] > cut ? 1 : 0);
  // within each shot, minus the mean of the frames within kHighPassRadius (the window shrinks at the
  // shot's ends but stays centred, so a linear drift of the level leaves nothing)
  std::vector<char> usable(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    int r = kHighPassRadius;
    while (r > 0 && (i - r < 0 || i + r >= n || shot[static_cast<size_t>(i - r)] != shot[static_cast<size_t>(i)] ||
                     shot[static_cast<size_t>(i + r)] != shot[static_cast<size_t>(i)]))
      --r;
    if (r < kHighPassRadius / 2) continue;
    double s = 0;
    for (int k = i - r; k <= i + r; ++k) s += m[static_cast<size_t>(k)];
    h[static_cast<size_t>(i)] = m[static_cast<size_t>(i)] - static_cast<float>(s / (2 * r + 1));
    usable[static_cast<size_t>(i)] = 1;
  }
  std::vector<float> mags;
  for (int i = 0; i < n; ++i)
    if (usable[static_cast<size_t>(i)]) mags.push_back(std::fabs(h[static_cast<size_t>(i)]));
  const float sigma = std::max(kNoiseFloor, 1.4826f * median(mags));
  for (float& v : h) v = std::min(kClipSigmas * sigma, std::max(-kClipSigmas * sigma, v));
  // matched filter under noise that changes from scene to scene: each frame over its local power
  std::vector<float> out(static_cast<size_t>(n), 0.f);
  for (int i = 0; i < n; ++i) {
    if (!usable[static_cast<size_t>(i)]) continue;
    double q = 0;
    int c = 0;
    for (int k = std::max(0, i - kNoiseRadius); k <= std::min(n - 1, i + kNoiseRadius); ++k)
      if (usable[static_cast<size_t>(k)]) { q += static_cast<double>(h[static_cast<size_t>(k)]) * h[static_cast<size_t>(k)]; ++c; }
    const double power = q / std::max(1, c) + static_cast<double>(kNoiseFloor) * kNoiseFloor;
    out[static_cast<size_t>(i)] = static_cast<float>(h[static_cast<size_t>(i)] / power);
  }
  return out;
}

std::vector<ChipStart> findChipStarts(const std::vector<float>& frameMeans, uint64_t seed, int most) {
  const std::vector<float> h = chipSyncSignal(frameMeans);
  const int n = static_cast<int>(h.size());
  int used = 0;
  for (float v : h) used += v != 0.f;
  if (used < 4 * kChipFrames || most <= 0) return {};
  // the factor over every frame a clip of n frames can reach
  const size_t reach = static_cast<size_t>(kChipSearchFrames) + static_cast<size_t>(n);
  std::vector<float> f(reach);
  for (size_t i = 0; i < reach; ++i) f[i] = chipFactor(seed, i);
  std::vector<float> c(static_cast<size_t>(kChipSearchFrames));
  double ss = 0;
  for (int s = 0; s < kChipSearchFrames; ++s) {
    const float* fs = f.data() + s;
    // four running sums, so the compiler may keep them in one vector register
    float a[4] = {0.f, 0.f, 0.f, 0.f};
    int i = 0;
    for (; i + 4 <= n; i += 4)
      for (int k = 0; k < 4; ++k) a[k] += h[static_cast<size_t>(i + k)] * fs[i + k];
    for (; i < n; ++i) a[0] += h[static_cast<size_t>(i)] * fs[i];
    const float acc = (a[0] + a[1]) + (a[2] + a[3]);
    c[static_cast<size_t>(s)] = acc;
    ss += static_cast<double>(acc) * acc;
  }
  // the null spread from all starts (the true one and its neighbours are a handful of 2^19)
  const double sd = std::sqrt(ss / kChipSearchFrames);
  if (sd <= 0) return {};
  std::vector<ChipStart> best;
  // the top candidates: repeatedly the largest not within a chip of one taken
  std::vector<std::pair<float, int>> top;
  for (int s = 0; s < kChipSearchFrames; ++s) {
    const float v = c[static_cast<size_t>(s)];
    if (top.size() < static_cast<size_t>(most) * 16 || v > top.back().first) {
      top.emplace_back(v, s);
      std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      if (top.size() > static_cast<size_t>(most) * 16) top.pop_back();
    }
  }
  for (const auto& [v, s] : top) {
    bool near = false;
    for (const ChipStart& b : best) near = near || std::abs(b.start - s) < kChipFrames;
    if (near) continue;
    best.push_back({s, v / sd});
    if (static_cast<int>(best.size()) >= most) break;
  }
  return best;
}

}  // namespace vigil
