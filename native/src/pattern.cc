#include "pattern.h"

#include <cmath>

#include "ecc.h"
#include "prng.h"

namespace vigil {

TileKey makeTileKey(const uint8_t key[32]) {
  TileKey tk;
  KeyedRng rp(key, 0x50494C4F54ull);  // "PILOT"
  KeyedRng rs(key, 0x535052454144ull);  // "SPREAD"
  KeyedRng rm(key, 0x4D4150ull);  // "MAP"
  for (int i = 0; i < kTileCells; ++i) {
    tk.pilot[i] = static_cast<float>(rp.sign());
    tk.spread[i] = static_cast<float>(rs.sign());
  }
  int perm[kTileCells];
  for (int i = 0; i < kTileCells; ++i) perm[i] = i;
  for (int i = kTileCells - 1; i > 0; --i) {
    int j = static_cast<int>(rm.below(static_cast<uint32_t>(i + 1)));
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (int i = 0; i < kTileCells; ++i) tk.bitOf[i] = static_cast<int16_t>(perm[i] % kCodedBits);
  return tk;
}

uint64_t signSeed(const uint8_t key[32]) {
  KeyedRng r(key, 0x5349474E53ull);  // "SIGNS"
  return r.next();
}

int groupSign(uint64_t seed, uint64_t frame) {
  const uint64_t group = frame / kSignGroupFrames;
  const uint64_t first = mix64(seed ^ (group >> 1)) & 1u;
  return (first ^ (group & 1u)) ? -1 : 1;
}

namespace {
// A sign that is `before` until the boundary and `after` from it, turned along a half cosine over
// the `ramp` frames centred on it; k = frame - (boundary - ramp / 2) + 0.5, in 0.5 .. ramp - 0.5.
float rampedSign(int before, int after, double k, int ramp) {
  if (before == after) return static_cast<float>(after);
  return static_cast<float>(before * std::cos(M_PI * k / ramp));
}
}  // namespace

float signFactor(uint64_t seed, uint64_t frame) {
  constexpr uint64_t G = kSignGroupFrames, half = kSignRampFrames / 2;
  const int s = groupSign(seed, frame);
  const uint64_t in = frame % G;
  // the boundary whose ramp this frame may lie in (frame 0 starts the first group: no ramp)
  uint64_t boundary;
  if (in < half && frame >= G) boundary = frame - in;
  else if (in + half >= G) boundary = frame - in + G;
  else return static_cast<float>(s);
  return rampedSign(groupSign(seed, boundary - 1), groupSign(seed, boundary), static_cast<double>(frame + half - boundary) + 0.5,
                    kSignRampFrames);
}

uint64_t chipSeed(const uint8_t key[32]) {
  KeyedRng r(key, 0x4348495053ull);  // "CHIPS"
  return r.next();
}

int chipSign(uint64_t seed, uint64_t chip) { return (mix64(seed ^ (chip * 0x9E3779B97F4A7C15ull)) >> 63) ? 1 : -1; }

float chipFactor(uint64_t seed, uint64_t frame) {
  constexpr uint64_t B = kChipFrames, half = kChipRampFrames / 2;
  const uint64_t chip = frame / B, in = frame % B;
  // the nearer boundary, if this frame lies in its ramp (frame 0 starts the first chip: no ramp)
  uint64_t boundary;
  if (in < half && chip > 0) boundary = frame - in;
  else if (in + half >= B) boundary = frame - in + B;
  else return static_cast<float>(chipSign(seed, chip));
  return rampedSign(chipSign(seed, boundary / B - 1), chipSign(seed, boundary / B), static_cast<double>(frame + half - boundary) + 0.5,
                    kChipRampFrames);
}

std::vector<float> tileValues(const TileKey& tk, const std::vector<uint8_t>& coded) {
  std::vector<float> v(kTileCells);
  for (int i = 0; i < kTileCells; ++i) {
    float d = coded[static_cast<size_t>(tk.bitOf[i])] ? -1.f : 1.f;
    v[i] = kPilotAmp * tk.pilot[i] + kDataAmp * tk.spread[i] * d;
  }
  return v;
}

float cellKernel(float t) {
  t = std::fabs(t);
  if (t >= 1.f) return 0.f;
  float c = std::cos(static_cast<float>(M_PI) * 0.5f * t);
  return c * c;
}

namespace {
struct Axis {
  std::vector<int> c0;     // first cell index (mod kCells)
  std::vector<float> w0;   // weight of c0 (weight of c0+1 is 1-w0)
};
Axis makeAxis(int n, double cellPx) {
  Axis a;
  a.c0.resize(static_cast<size_t>(n));
  a.w0.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    double u = (i + 0.5) / cellPx - 0.5;
    double f0 = std::floor(u);
    float f = static_cast<float>(u - f0);
    long c = static_cast<long>(f0) % kCells;
    if (c < 0) c += kCells;
    a.c0[static_cast<size_t>(i)] = static_cast<int>(c);
    a.w0[static_cast<size_t>(i)] = cellKernel(f);
  }
  return a;
}
}  // namespace

SeparablePattern makeSeparablePattern(const std::vector<float>& cells, int width, int height, double cellPx, float gain) {
  SeparablePattern sp;
  sp.width = width;
  sp.height = height;
  Axis ax = makeAxis(width, cellPx), ay = makeAxis(height, cellPx);
  sp.profiles.assign(static_cast<size_t>(kCells) * width, 0.f);
  for (int r = 0; r < kCells; ++r) {
    float* o = &sp.profiles[static_cast<size_t>(r) * width];
    for (int x = 0; x < width; ++x) {
      int c0 = ax.c0[static_cast<size_t>(x)], c1 = (c0 + 1) % kCells;
      float wx0 = ax.w0[static_cast<size_t>(x)];
      o[x] = gain * (wx0 * cells[static_cast<size_t>(r * kCells + c0)] + (1.f - wx0) * cells[static_cast<size_t>(r * kCells + c1)]);
    }
  }
  sp.rowC0.resize(static_cast<size_t>(height));
  sp.rowC1.resize(static_cast<size_t>(height));
  sp.rowW0.resize(static_cast<size_t>(height));
  sp.rowW1.resize(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y) {
    size_t i = static_cast<size_t>(y);
    sp.rowC0[i] = ay.c0[i];
    sp.rowC1[i] = (ay.c0[i] + 1) % kCells;
    sp.rowW0[i] = ay.w0[i];
    sp.rowW1[i] = 1.f - ay.w0[i];
  }
  return sp;
}

void renderPattern(const std::vector<float>& cells, int width, int height, double cellPx, float gain,
                   std::vector<float>& out) {
  SeparablePattern sp = makeSeparablePattern(cells, width, height, cellPx, gain);
  out.assign(static_cast<size_t>(width) * height, 0.f);
  for (int y = 0; y < height; ++y) {
    size_t i = static_cast<size_t>(y);
    const float* p0 = sp.profile(sp.rowC0[i]);
    const float* p1 = sp.profile(sp.rowC1[i]);
    float w0 = sp.rowW0[i], w1 = sp.rowW1[i];
    float* o = &out[i * width];
    for (int x = 0; x < width; ++x) o[x] = w0 * p0[x] + w1 * p1[x];
  }
}

}  // namespace vigil
