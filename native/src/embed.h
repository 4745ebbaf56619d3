// Embedder: precomputes the keyed pattern for one frame size, then per frame
// out = clamp(in + pattern * mask), mask = cheap block texture/luma masking.
#pragma once
#include <cstdint>
#include <vector>

namespace vigil {

constexpr int kMaskBlock = 16;
constexpr float kDefaultStrength = 2.0f;

class Embedder {
 public:
  Embedder(const uint8_t key[32], int width, int height, int bitDepth, uint32_t payload, float strength);
  void embed8(uint8_t* plane, int stride);
  void embed16(uint16_t* plane, int stride);
  int width() const { return w_; }
  int height() const { return h_; }
  int bitDepth() const { return depth_; }

 private:
  template <typename T>
  void computeMask(const T* plane, int stride, float scale);
  template <typename T>
  void apply(T* plane, int stride, float maxv);

  int w_, h_, depth_;
  int bw_, bh_;
  std::vector<float> pattern_;   // w*h, already times strength (and x4 for 10-bit)
  std::vector<float> bmask_;     // bw*bh block masks
  std::vector<float> tmp_;       // bw*bh
  std::vector<float> expanded_;  // bh rows of w: block masks interpolated horizontally
  std::vector<uint32_t> colAct_, colSum_;
  std::vector<int> rowBlock_;    // y -> upper block row
  std::vector<float> rowT_;      // y -> vertical interpolation weight
};

}  // namespace vigil
