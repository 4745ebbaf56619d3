// Version 3's sync (pattern.h chipFactor): where a clip sits in the keyed chip sequence, found
// from nothing but each frame's mean level. The embedder adds kChipDcAmp of the strength to the
// frame's level, times the chip factor; the content's own level moves far more, but slowly within
// a shot, so a temporal high-pass inside each shot leaves mostly the chips and the frame-to-frame
// noise of motion and coding, and a correlation with the keyed factor over every start finds the
// clip's place. Pure: no frames, only their means.
#pragma once
#include <cstdint>
#include <vector>

namespace vigil {

struct ChipStart {
  int start = 0;    // the copy's frame number of the clip's first frame
  double z = 0.0;   // correlation at that start, in standard deviations of all starts' correlations
};

// The `most` best starts in [0, kChipSearchFrames), at least kChipFrames apart, best first; none
// when the clip is too short to say (under 4 chips of frames in shots long enough to high-pass).
std::vector<ChipStart> findChipStarts(const std::vector<float>& frameMeans, uint64_t seed, int most);

// The high-passed, noise-weighted means findChipStarts correlates (exposed for tests and benches):
// 0 where a frame lies in a shot too short to high-pass.
std::vector<float> chipSyncSignal(const std::vector<float>& frameMeans);

}  // namespace vigil
