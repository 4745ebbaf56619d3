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
constexpr int kMarkVersionStatic = 1, kMarkVersionSigned = 2;
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
