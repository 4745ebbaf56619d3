// Null trials through the blind detector's real decision path (Detector::result(): search, decode,
// MAC check), on the DSP core alone (no Node), so many-core machines can run many:
//   g++ -O3 -std=c++17 -pthread -Isrc src/{ecc,pattern,embed,chipsync,detect,register}.cc bench/false_alarm.cc -o /tmp/fa
//   /tmp/fa TRIALS THREADS [FRAMES.gray WIDTH HEIGHT [WINDOW=48]]
// FA_MAX_SECONDS=S: start no trial after S seconds (the run stays bounded; `trials=` says how many ran).
// Even trials read unmarked frames with a random key; odd trials read frames marked (the default strength,
// a random ID) with one random key through another. Any ID found is a false ID (unmarked) or a
// wrong ID (wrong key). With a raw 8-bit luma file (e.g. natural footage from
// `npm run bench:watermark-null`) each trial reads WINDOW frames from a random start; without one,
// six synthetic frames (a sum of sinusoids with grain). Prints one line of key=value pairs.
// FA_MARK_VERSION=1|2 (default 2): the mark version of the wrong-key trials' copies.
// SIGTERM or SIGINT: no new trial starts; the ones running finish and the summary is printed, so a
// long run stopped early still says how many trials it ran.
// FA_FIRST_TRIAL=N (default 0): trials are numbered N .. N+TRIALS-1 and seeded from their number, so
// runs with disjoint ranges are distinct trials and their counts add up.
// FA_SOFT_OUT=FILE: per trial one line "trial marked keyhex found v0 .. v255", the cell soft values
// at the best pilot alignment (DetectResult::alignmentSoft[0]) read with the trial's key: what the
// ledger test (runners/watermark/accusation.ts) scores, so bench/watermark-null.ts can count how
// often it names anyone on null content.
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "detect.h"
#include "embed.h"
#include "prng.h"

using namespace vigil;

namespace {

void makeFrame(uint64_t seed, int t, int w, int h, std::vector<uint8_t>& out) {
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

std::vector<uint8_t> readAll(const char* file) {
  FILE* f = std::fopen(file, "rb");
  if (!f) { std::perror(file); std::exit(2); }
  // sized once: the footage is hundreds of MB, and growing a vector to it copied it over and over
  std::fseek(f, 0, SEEK_END);
  std::vector<uint8_t> data(static_cast<size_t>(std::max(0L, std::ftell(f))));
  std::fseek(f, 0, SEEK_SET);
  if (std::fread(data.data(), 1, data.size(), f) != data.size()) { std::fprintf(stderr, "%s: short read\n", file); std::exit(2); }
  std::fclose(f);
  return data;
}

std::atomic<bool> stopRequested{false};  // lock-free, so safe to set from a signal handler
void requestStop(int) { stopRequested = true; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: %s TRIALS THREADS [FRAMES.gray WIDTH HEIGHT [WINDOW=48]]\n", argv[0]);
    return 2;
  }
  const int trials = std::atoi(argv[1]), threads = std::max(1, std::atoi(argv[2]));
  const bool natural = argc >= 6;
  const int w = natural ? std::atoi(argv[4]) : 480, h = natural ? std::atoi(argv[5]) : 270;
  const int window = argc == 7 ? std::atoi(argv[6]) : natural ? 48 : 6;
  const std::vector<uint8_t> frames = natural ? readAll(argv[3]) : std::vector<uint8_t>();
  const size_t frameBytes = static_cast<size_t>(w) * h;
  const int available = natural ? static_cast<int>(frames.size() / frameBytes) : 0;
  if (natural && available < window) { std::fprintf(stderr, "%s holds %d frames of %dx%d, fewer than the window (%d)\n", argv[3], available, w, h, window); return 2; }

  const char* maxEnv = std::getenv("FA_MAX_SECONDS");
  const double maxSeconds = maxEnv ? std::atof(maxEnv) : 1e30;
  const char* versionEnv = std::getenv("FA_MARK_VERSION");
  const int markVersion = versionEnv ? std::atoi(versionEnv) : 2;
  const char* firstEnv = std::getenv("FA_FIRST_TRIAL");
  const int firstTrial = firstEnv ? std::atoi(firstEnv) : 0;
  const char* softPath = std::getenv("FA_SOFT_OUT");
  FILE* softOut = softPath ? std::fopen(softPath, "w") : nullptr;
  if (softPath && !softOut) { std::perror(softPath); return 2; }
  std::signal(SIGTERM, requestStop);
  std::signal(SIGINT, requestStop);
  std::mutex softLock;
  std::atomic<int> next{0}, done{0}, doneMarked{0}, falseIds{0}, wrongIds{0};
  std::vector<double> zs(static_cast<size_t>(trials), 0.0), pfa(static_cast<size_t>(trials), 1.0);
  const auto t0 = std::chrono::steady_clock::now();
  auto work = [&]() {
    std::vector<uint8_t> f(frameBytes);
    for (int slot; (slot = next++) < trials;) {
      if (stopRequested || std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > maxSeconds) break;
      const int i = firstTrial + slot;
      uint64_t s = 0xABCDEFull + static_cast<uint64_t>(i) * 7919;
      uint8_t key[32], other[32];
      for (int k = 0; k < 32; ++k) { key[k] = static_cast<uint8_t>(splitmix64(s)); other[k] = static_cast<uint8_t>(splitmix64(s)); }
      const bool marked = i % 2 == 1;
      const uint32_t id = static_cast<uint32_t>(splitmix64(s)) | 1u;
      Detector det(key, w, h, 8);
      Embedder emb(other, w, h, 8, id, kDefaultStrength, markVersion);
      const int start = natural ? static_cast<int>(splitmix64(s) % static_cast<uint64_t>(available - window + 1)) : 0;
      for (int t = 0; t < window; ++t) {
        if (natural) std::copy_n(frames.begin() + static_cast<std::ptrdiff_t>((start + t) * frameBytes), frameBytes, f.begin());
        else makeFrame(s, t * 4, w, h, f);
        if (marked) emb.embed8(f.data(), w);
        det.accumulate8(f.data(), w);
      }
      DetectResult r = det.result();
      if (r.found) (marked ? wrongIds : falseIds)++;
      zs[static_cast<size_t>(slot)] = r.pilotZ;
      pfa[static_cast<size_t>(slot)] = r.falseAlarmProbability;
      if (softOut && !r.alignmentSoft.empty()) {
        std::string line = std::to_string(i) + (marked ? " 1 " : " 0 ");
        char hex[3];
        for (int k = 0; k < 32; ++k) { std::snprintf(hex, sizeof hex, "%02x", key[k]); line += hex; }
        line += r.found ? " 1" : " 0";
        char v[24];
        for (float x : r.alignmentSoft[0]) { std::snprintf(v, sizeof v, " %.6g", x); line += v; }
        line += '\n';
        std::lock_guard<std::mutex> g(softLock);
        std::fputs(line.c_str(), softOut);
      }
      done++;
      if (marked) doneMarked++;
    }
  };
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (softOut) std::fclose(softOut);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double zmax = 0, zsum = 0, pmin = 1;
  for (int i = 0; i < trials; ++i) { zmax = std::max(zmax, zs[static_cast<size_t>(i)]); zsum += zs[static_cast<size_t>(i)]; pmin = std::min(pmin, pfa[static_cast<size_t>(i)]); }
  const int n = done.load(), nMarked = doneMarked.load();
  std::printf("firstTrial=%d trials=%d unmarked=%d wrongKey=%d falseIDs=%d wrongIDs=%d pilotZmean=%.2f pilotZmax=%.2f minPfa=%.3g frames=%s window=%d markVersion=%d seconds=%.1f threads=%d\n",
              firstTrial, n, n - nMarked, nMarked, falseIds.load(), wrongIds.load(), n ? zsum / n : 0.0, zmax, pmin,
              natural ? "natural" : "synthetic", window, markVersion, secs, threads);
  return 0;
}
