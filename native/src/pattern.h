// The keyed tile: a 16x16 grid of cells that repeats over the picture with a
// period of half the frame height. Each cell carries a pilot chip (known to
// the detector) plus a data chip (a spread coded bit). Cells are rendered with
// a cos^2 kernel (partition of unity, support of two cells), so the pattern is
// smooth, low-frequency and scales with the picture.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vigil {

constexpr int kCells = 16;                 // cells per tile side
constexpr int kTileCells = kCells * kCells;  // 256
constexpr double kTilesPerHeight = 2.0;    // tile period = H / 2
constexpr float kPilotAmp = 0.6f;          // energy split pilot / data
constexpr float kDataAmp = 0.8f;

struct TileKey {
  float pilot[kTileCells];    // +-1
  float spread[kTileCells];   // +-1
  int16_t bitOf[kTileCells];  // coded bit carried by this cell
};

TileKey makeTileKey(const uint8_t key[32]);

// Mark version 2 (issue 14 item 4): the tile is multiplied by a keyed sign that holds for
// kSignGroupFrames frames. Averaging a copy's frames (the estimation attack) then gives about
// nothing to subtract; the detector needs no sync: it finds each window's sign itself. The
// sequence comes in pairs (+- or -+, keyed), so any stretch of whole pairs averages to exactly 0.
// It depends on the key only: every recipient's copy flips at the same frames.
constexpr int kMarkVersionStatic = 1, kMarkVersionSigned = 2, kMarkVersionChipped = 3;
constexpr int kSignGroupFrames = 192;
uint64_t signSeed(const uint8_t key[32]);
int groupSign(uint64_t seed, uint64_t frame);
// The sign the embedder applies: groupSign, except over the kSignRampFrames frames centred on a
// boundary where it changes, where it goes from +-1 to -+1 along a half cosine. A one-frame flip
// is a step of twice the mark over the whole picture, a pop on flat and dark scenes; the ramp
// spreads it to about pi/R of the mark a frame. The ramp is odd about the boundary, so every
// group (and pair) sums to what it did with hard flips, and the detector, which reads a window's
// sign off its correlation, needs no change: copies made with hard flips read as before.
// Pure in (seed, frame): every embedder of a key (A/B packages) ramps at the same frames.
constexpr int kSignRampFrames = 24;
static_assert(kSignRampFrames % 2 == 0 && kSignRampFrames <= kSignGroupFrames, "ramp: even, at most a group");
float signFactor(uint64_t seed, uint64_t frame);

// Mark version 3 (issue 14 item 4, the estimation attack): the sign is keyed per chip of
// kChipFrames frames, from a sequence indexed by the copy's frame number that does not repeat
// within kChipSearchFrames, so an attacker's mean over N frames holds about sqrt(B/N) of the tile
// (24 frames: 0.58 of it) where version 2 held all of it inside a group, and subtracting it leaves
// most of the tile. A blind reader cannot sum such frames without knowing where the clip sits in
// the sequence; it finds that from a small keyed change of each frame's mean level that follows
// the same sequence (kChipDcAmp of the strength, under the same mask): a mean is what every
// geometry attack (crop, scale, rotation, mirror, bands) keeps, and the estimation attacker's
// high-pass takes none of it. Between chips of opposite sign the factor turns along a half cosine
// over kChipRampFrames (the flicker of version 2's one-frame flip, measured by
// bench:watermark-flicker). Pure in (seed, frame), like signFactor.
constexpr int kChipFrames = 8;
constexpr int kChipRampFrames = 8;
constexpr float kChipDcAmp = 0.15f;
constexpr int kChipSearchFrames = 1 << 19;  // the longest copy whose position a clip is searched in (6 h at 24 fps)
static_assert(kChipRampFrames % 2 == 0 && kChipRampFrames <= 2 * kChipFrames, "chip ramp: even, at most two chips");
uint64_t chipSeed(const uint8_t key[32]);
int chipSign(uint64_t seed, uint64_t chip);
float chipFactor(uint64_t seed, uint64_t frame);

// Cell values (pilot*ap + spread*data*ad) for a payload.
std::vector<float> tileValues(const TileKey& tk, const std::vector<uint8_t>& coded);

// Interpolation weight of the cell centred at 0 for an offset t in cells.
float cellKernel(float t);

// The same pattern, kept separable (it is a product of per-axis cos^2 weights):
// row y = rowW0[y] * profile(rowC0[y]) + rowW1[y] * profile(rowC0[y]+1), where
// profile(r) is cell row r interpolated across the width. kCells profiles of one
// row each stay in cache, where the whole pattern (4 bytes a pixel) would not.
struct SeparablePattern {
  int width = 0, height = 0;
  std::vector<float> profiles;  // kCells rows of width, times gain
  std::vector<int> rowC0, rowC1;
  std::vector<float> rowW0, rowW1;
  const float* profile(int cellRow) const { return &profiles[static_cast<size_t>(cellRow) * width]; }
};

SeparablePattern makeSeparablePattern(const std::vector<float>& cells, int width, int height, double cellPx, float gain);

// Render a tile-periodic pattern of size width x height whose cell size is
// cellPx pixels; out[y*width+x].
void renderPattern(const std::vector<float>& cells, int width, int height, double cellPx, float gain,
                   std::vector<float>& out);

}  // namespace vigil
