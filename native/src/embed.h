// Embedder: precomputes the keyed pattern for one frame size, then per frame
// out = clamp(in + pattern * mask), mask = cheap block texture/luma masking.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "pattern.h"

namespace vigil {

constexpr int kMaskBlock = 16;
constexpr float kDefaultStrength = 2.5f;

class Embedder {
 public:
  // markVersion 1: the same tile in every frame; 2: the tile times signFactor(frame) (pattern.h:
  // groupSign, ramped over kSignRampFrames at each flip), frames counted from the first embed call
  // (the embedder sees every frame, in order). Ramped and hard flips are both version 2: the
  // detector reads either. 3: the tile plus a level of kChipDcAmp * strength, times
  // chipFactor(frame) (pattern.h).
  Embedder(const uint8_t key[32], int width, int height, int bitDepth, uint32_t payload, float strength,
           int markVersion = kMarkVersionStatic);
  void embed8(uint8_t* plane, int stride);
  void embed16(uint16_t* plane, int stride);
  int width() const { return w_; }
  int height() const { return h_; }
  int bitDepth() const { return depth_; }
  int markVersion() const { return version_; }

 private:
  template <typename T>
  void computeMask(const T* plane, int stride, float scale);
  template <typename T>
  void apply(T* plane, int stride, int maxv);
  // Sets this frame's row weights (rowW0_/rowW1_ times the frame's sign factor); advances the frame count.
  void nextFrame();
  static int16_t toQ15(float w) { return static_cast<int16_t>(std::lround(std::min(1.f, std::max(0.f, w)) * 32767.f)); }

  int w_, h_, depth_;
  int bw_, bh_;
  // The pattern in fixed point (see applyRow): kCells profiles in Q7 levels, already times
  // strength (and x4 for 10-bit), and per row the two profiles and their Q15 weights; the
  // weights this frame uses carry its sign factor, so one set of profiles serves every frame.
  static constexpr float kPatternOne = 128.f;
  static constexpr float kMaskOne = 16384.f;
  std::vector<int16_t> profiles_;
  int version_;
  uint64_t signSeed_ = 0;  // version 2: signSeed; 3: chipSeed
  uint64_t frame_ = 0;
  int factorQ15_ = 32767;
  std::vector<int> rowC0_, rowC1_;
  std::vector<int16_t> rowW0_, rowW1_, frameW0_, frameW1_;
  std::vector<float> bmask_;     // bw*bh block masks
  std::vector<float> tmp_;       // bw*bh
  std::vector<int16_t> expanded16_;  // bh rows of w: block masks interpolated horizontally (Q14)
  std::vector<uint32_t> colAct_, colSum_;
  std::vector<int> rowBlock_;    // y -> upper block row
  std::vector<int16_t> rowT_;    // y -> vertical interpolation weight (Q15)
  std::vector<int> colBlock_;    // x -> left block column
  std::vector<float> colT_;      // x -> horizontal interpolation weight
};

}  // namespace vigil
