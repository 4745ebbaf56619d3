// False-ID trials on the DSP core alone (no Node), for many-core machines:
//   g++ -O3 -std=c++17 -pthread -Isrc src/{ecc,pattern,embed,detect,register}.cc bench/false_alarm.cc -o /tmp/fa
//   /tmp/fa [trials=1000] [threads=1]
// Half the trials are unmarked frames read with a random key, half are frames
// marked with one random key and read with another.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "detect.h"
#include "embed.h"
#include "prng.h"

using namespace vigil;

static void makeFrame(uint64_t seed, int t, int w, int h, std::vector<uint8_t>& out) {
  uint64_t s = seed;
  float ph[12], fx[12], fy[12], amp[12];
  for (int k = 0; k < 12; ++k) {
    ph[k] = (splitmix64(s) >> 40) / 16777216.f * 6.28f;
    fx[k] = ((splitmix64(s) >> 40) / 16777216.f - 0.5f) * (1 << (k / 2)) * 0.05f;
    fy[k] = ((splitmix64(s) >> 40) / 16777216.f - 0.5f) * (1 << (k / 2)) * 0.05f;
    amp[k] = 40.f / (1 + k);
  }
  uint64_t n = seed ^ (static_cast<uint64_t>(t) * 0x9E37u);
  out.resize(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float v = 120;
      for (int k = 0; k < 12; ++k) v += amp[k] * std::sin(fx[k] * (x + 3 * t) + fy[k] * y + ph[k]);
      v += ((splitmix64(n) >> 56) / 256.f - 0.5f) * 8;
      out[static_cast<size_t>(y) * w + x] = static_cast<uint8_t>(std::min(255.f, std::max(0.f, v)));
    }
}

int main(int argc, char** argv) {
  int trials = argc > 1 ? atoi(argv[1]) : 1000, threads = argc > 2 ? atoi(argv[2]) : 1;
  std::atomic<int> next{0}, falseIds{0};
  std::vector<double> zs(static_cast<size_t>(trials));
  std::vector<double> pfa(static_cast<size_t>(trials));
  auto work = [&]() {
    const int w = 480, h = 270;
    std::vector<uint8_t> f;
    for (int i; (i = next++) < trials;) {
      uint64_t s = 0xABCDEFull + static_cast<uint64_t>(i) * 7919;
      uint8_t key[32], other[32];
      for (int k = 0; k < 32; ++k) { key[k] = static_cast<uint8_t>(splitmix64(s)); other[k] = static_cast<uint8_t>(splitmix64(s)); }
      Detector det(key, w, h, 8);
      bool marked = i % 2 == 1;
      Embedder emb(other, w, h, 8, static_cast<uint32_t>(i * 2654435761u) | 1u, 2.0f);
      for (int t = 0; t < 6; ++t) {
        makeFrame(s, t * 4, w, h, f);
        if (marked) emb.embed8(f.data(), w);
        det.accumulate8(f.data(), w);
      }
      DetectResult r = det.result();
      if (r.found) falseIds++;
      zs[static_cast<size_t>(i)] = r.pilotZ;
      pfa[static_cast<size_t>(i)] = r.falseAlarmProbability;
    }
  };
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  double zmax = 0, zsum = 0, pmin = 1;
  for (int i = 0; i < trials; ++i) { zmax = std::max(zmax, zs[static_cast<size_t>(i)]); zsum += zs[static_cast<size_t>(i)]; pmin = std::min(pmin, pfa[static_cast<size_t>(i)]); }
  std::printf("trials=%d falseIDs=%d pilotZ mean=%.2f max=%.2f min reported pfa=%.3g\n", trials, falseIds.load(), zsum / trials, zmax, pmin);
  return 0;
}
