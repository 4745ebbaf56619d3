// Keyed pseudo-random streams. No Node includes.
#pragma once
#include <cstdint>
#include <cstring>

namespace vigil {

inline uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t mix64(uint64_t x) {
  uint64_t s = x;
  return splitmix64(s);
}

// xoshiro256** seeded from a 32-byte key and a domain tag, so that the
// pilot, the spreading signs, the chip permutation and the MAC all use
// independent streams of the same key.
class KeyedRng {
 public:
  KeyedRng(const uint8_t key[32], uint64_t domain) {
    uint64_t k[4];
    std::memcpy(k, key, 32);
    uint64_t seed = domain * 0xD1B54A32D192ED03ull;
    for (int r = 0; r < 2; ++r)
      for (int i = 0; i < 4; ++i) {
        seed ^= k[i];
        s_[i] = splitmix64(seed);
      }
    for (int i = 0; i < 16; ++i) next();
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  int sign() { return (next() >> 63) ? 1 : -1; }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace vigil
