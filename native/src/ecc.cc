#include "ecc.h"

#include <cmath>
#include <limits>

#include "prng.h"

namespace vigil {

namespace {
constexpr int kGen[3] = {0133, 0171, 0165};
constexpr int kStates = 1 << (kConstraint - 1);

inline int parity(unsigned v) { return __builtin_parity(v); }

// Output bits for (state, input): register = input<<6 | state (state holds the
// 6 previous inputs, most recent in bit 5).
inline int outputs(int state, int in, int g) { return parity(static_cast<unsigned>(((in << 6) | state) & kGen[g])); }
}  // namespace

uint32_t payloadMac(const uint8_t key[32], uint32_t id) {
  KeyedRng r(key, 0x4D4143ull /* "MAC" */);
  uint64_t k0 = r.next(), k1 = r.next();
  uint64_t x = mix64(k0 ^ id);
  x = mix64(x ^ k1 ^ (static_cast<uint64_t>(id) << 32));
  return static_cast<uint32_t>(x >> 40) & ((1u << kMacBits) - 1);
}

static void infoBits(const uint8_t key[32], uint32_t id, int* bits) {
  uint32_t mac = payloadMac(key, id);
  for (int i = 0; i < kIdBits; ++i) bits[i] = (id >> (31 - i)) & 1;
  for (int i = 0; i < kMacBits; ++i) bits[kIdBits + i] = (mac >> (kMacBits - 1 - i)) & 1;
  for (int i = 0; i < kTail; ++i) bits[kInfoBits + i] = 0;
}

std::vector<uint8_t> encodePayload(const uint8_t key[32], uint32_t id) {
  int bits[kInfoBits + kTail];
  infoBits(key, id, bits);
  std::vector<uint8_t> out(kCodedBits);
  int state = 0;
  for (int t = 0; t < kInfoBits + kTail; ++t) {
    for (int g = 0; g < 3; ++g) out[t * 3 + g] = static_cast<uint8_t>(outputs(state, bits[t], g));
    state = ((bits[t] << 5) | (state >> 1)) & (kStates - 1);
  }
  return out;
}

bool decodePayload(const uint8_t key[32], const std::vector<float>& soft, uint32_t* id) {
  const int steps = kInfoBits + kTail;
  const float NEG = -std::numeric_limits<float>::infinity();
  std::vector<float> metric(kStates, NEG), next(kStates);
  std::vector<uint8_t> from(static_cast<size_t>(steps) * kStates);  // predecessor state
  metric[0] = 0.f;
  for (int t = 0; t < steps; ++t) {
    std::fill(next.begin(), next.end(), NEG);
    const bool tail = t >= kInfoBits;
    for (int s = 0; s < kStates; ++s) {
      if (metric[s] == NEG) continue;
      for (int in = 0; in <= (tail ? 0 : 1); ++in) {
        float m = metric[s];
        for (int g = 0; g < 3; ++g) {
          // correlation metric: bit 0 -> +soft, bit 1 -> -soft
          float v = soft[t * 3 + g];
          m += outputs(s, in, g) ? -v : v;
        }
        int ns = ((in << 5) | (s >> 1)) & (kStates - 1);
        if (m > next[ns]) {
          next[ns] = m;
          from[static_cast<size_t>(t) * kStates + ns] = static_cast<uint8_t>(s);
        }
      }
    }
    metric.swap(next);
  }
  // trace back from state 0
  int bits[kInfoBits + kTail];
  int s = 0;
  for (int t = steps - 1; t >= 0; --t) {
    bits[t] = (s >> 5) & 1;
    s = from[static_cast<size_t>(t) * kStates + s];
  }
  uint32_t v = 0, mac = 0;
  for (int i = 0; i < kIdBits; ++i) v = (v << 1) | static_cast<uint32_t>(bits[i]);
  for (int i = 0; i < kMacBits; ++i) mac = (mac << 1) | static_cast<uint32_t>(bits[kIdBits + i]);
  if (v == 0) return false;
  if (mac != payloadMac(key, v)) return false;
  *id = v;
  return true;
}

}  // namespace vigil
