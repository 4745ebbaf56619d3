#include "ecc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

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

namespace {
// Info bits -> the ID if the keyed check matches.
bool checkedId(const uint8_t key[32], const int* bits, uint32_t* id) {
  uint32_t v = 0, mac = 0;
  for (int i = 0; i < kIdBits; ++i) v = (v << 1) | static_cast<uint32_t>(bits[i]);
  for (int i = 0; i < kMacBits; ++i) mac = (mac << 1) | static_cast<uint32_t>(bits[kIdBits + i]);
  if (v == 0 || mac != payloadMac(key, v)) return false;
  *id = v;
  return true;
}
}  // namespace

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
  return checkedId(key, bits, id);
}

int decodePayloadList(const uint8_t key[32], const std::vector<float>& soft, int listSize, uint32_t* id) {
  if (listSize < 1 || listSize > kMaxListSize) throw std::invalid_argument("list size must be 1..64");
  const int steps = kInfoBits + kTail;
  const int L = listSize;
  const float NEG = -std::numeric_limits<float>::infinity();
  struct Entry {
    float metric;
    uint8_t from;  // predecessor state
    uint8_t rank;  // rank of the path in the predecessor's list
  };
  // Per step and state, the L best paths into it, best first.
  std::vector<Entry> trellis(static_cast<size_t>(steps + 1) * kStates * L, Entry{NEG, 0, 0});
  trellis[0].metric = 0.f;
  std::vector<Entry> cand(static_cast<size_t>(2 * L));
  for (int t = 0; t < steps; ++t) {
    const Entry* cur = &trellis[static_cast<size_t>(t) * kStates * L];
    Entry* next = &trellis[static_cast<size_t>(t + 1) * kStates * L];
    const bool tail = t >= kInfoBits;
    for (int ns = 0; ns < kStates; ++ns) {
      const int in = (ns >> 5) & 1;
      if (tail && in) continue;
      int n = 0;
      for (int low = 0; low <= 1; ++low) {
        const int s = ((ns << 1) & (kStates - 1)) | low;  // the two states that lead to ns
        float m = 0.f;
        for (int g = 0; g < 3; ++g) {
          float v = soft[static_cast<size_t>(t * 3 + g)];
          m += outputs(s, in, g) ? -v : v;
        }
        for (int r = 0; r < L && cur[s * L + r].metric != NEG; ++r)
          cand[static_cast<size_t>(n++)] = Entry{cur[s * L + r].metric + m, static_cast<uint8_t>(s), static_cast<uint8_t>(r)};
      }
      const int keep = std::min(n, L);
      std::partial_sort(cand.begin(), cand.begin() + keep, cand.begin() + n, [](const Entry& a, const Entry& b) { return a.metric > b.metric; });
      std::copy(cand.begin(), cand.begin() + keep, next + ns * L);
    }
  }
  const Entry* last = &trellis[static_cast<size_t>(steps) * kStates * L];
  for (int r = 0; r < L && last[r].metric != NEG; ++r) {
    int bits[kInfoBits + kTail];
    int s = 0, rank = r;
    for (int t = steps; t > 0; --t) {
      const Entry& e = trellis[(static_cast<size_t>(t) * kStates + s) * L + rank];
      bits[t - 1] = (s >> 5) & 1;
      s = e.from;
      rank = e.rank;
    }
    if (checkedId(key, bits, id)) return r;
  }
  return -1;
}

}  // namespace vigil
