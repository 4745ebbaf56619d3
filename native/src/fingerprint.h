// Perceptual fingerprint of 8-bit luma pictures (video frames, comic pages)
// and matching of fingerprint sequences. Pure C++: planes in, numbers out.
//
// One fingerprint = kHashes 64-bit DCT hashes of the picture after uniform
// borders are removed:
//   [0]                 the whole content region
//   [1 .. kCrops-1]     crop windows: per axis, the whole or a window that cuts
//                       (a, b) from the start and end, a, b multiples of 5 %,
//                       a + b <= 15 %: what a cropped copy looks like
//   [kMirror]           the whole region, mirrored left-right
// Each hash: 32x32 area-averaged thumbnail, 2-D DCT, the 64 lowest-frequency
// AC coefficients (by u+v), one bit each: above or below their median.
#pragma once

#include <cstdint>
#include <vector>

namespace vigil::fp {

constexpr int kAxisWindows = 10;      // per axis: whole, then cuts (start, end) on a 5 % lattice up to 15 %
constexpr int kCrops = kAxisWindows * kAxisWindows;   // [0] = whole region
constexpr int kMirror = kCrops;       // index of the mirrored whole-region hash
constexpr int kHashes = kCrops + 1;   // hashes per fingerprint
constexpr int kBytes = kHashes * 8;   // serialized size

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
};

struct Fingerprint {
  uint64_t h[kHashes];
  // false for flat pictures (black, fades, a single colour): they would match anything.
  bool informative = false;
  // Standard deviation of the 32x32 thumbnail (levels): how much picture there is.
  float contrast = 0;
  // Content region after border removal, in input pixels.
  Rect content;
};

// Finds uniform dark or bright bars (letterbox, pillarbox, page margins).
Rect contentRect(const uint8_t* p, int width, int height, int stride);

Fingerprint fingerprint8(const uint8_t* p, int width, int height, int stride);

inline int popcount64(uint64_t x) { return __builtin_popcountll(x); }

// Crop- and mirror-tolerant distance in bits (0..64): the smallest Hamming
// distance between one picture's whole-region (or mirrored) hash and any crop
// window of the other, both ways round. `mirror` = false skips the mirrored hash.
int distance(const uint64_t* a, const uint64_t* b, bool mirror = true);

struct MatchParams {
  int frameThreshold = 10;     // bits: a frame pair within this is a near-duplicate
  int minVotes = 3;            // distinct candidate frames agreeing on one offset
  double minCoverage = 0.25;   // matched / comparable candidate frames at that offset
  double binSeconds = 0;       // offset histogram bin; 0 = auto (largest median sampling step)
  bool mirror = true;          // also look for left-right mirrored copies
};

struct Span {
  double refStart, refEnd, candStart, candEnd;
};

struct SequenceMatch {
  bool matched = false;
  double distance = 1;         // mean bits/64 over matched frames; 1 when none
  double offset = 0;           // reference time - candidate time, seconds
  int votes = 0;               // distinct candidate frames voting for the best offset
  int runnerUpVotes = 0;       // best offset more than 2 bins away from the winner
  int matchedFrames = 0;       // candidate frames within frameThreshold at that offset
  int comparableFrames = 0;    // informative candidate frames whose aligned time lies in the reference
  int candidateFrames = 0;     // informative candidate frames
  double coverage = 0;         // matchedFrames / comparableFrames
  std::vector<Span> spans;
};

// hashes: n * kHashes words; times: seconds (any order); informative: n flags.
SequenceMatch matchSequences(const uint64_t* ref, const double* refTimes, const uint8_t* refInformative, int nRef,
                             const uint64_t* cand, const double* candTimes, const uint8_t* candInformative, int nCand,
                             const MatchParams& params);

struct PageMatch {
  int candidate;   // candidate page index
  int reference;   // nearest reference page, -1 when the candidate page is not informative
  int distance;    // bits
  bool matched;    // distance <= threshold
};

std::vector<PageMatch> matchImages(const uint64_t* ref, const uint8_t* refInformative, int nRef, const uint64_t* cand,
                                   const uint8_t* candInformative, int nCand, int threshold, bool mirror);

}  // namespace vigil::fp
