#include "codeword.h"

#include "ecc.h"

namespace vigil {

void pilotChips(const uint8_t key[32], float* pilot) {
  const TileKey tk = makeTileKey(key);
  for (int i = 0; i < kTileCells; ++i) pilot[i] = tk.pilot[i];
}

void dataChips(const uint8_t key[32], uint32_t id, float* data) {
  const TileKey tk = makeTileKey(key);
  const std::vector<uint8_t> coded = encodePayload(key, id);
  for (int i = 0; i < kTileCells; ++i) data[i] = tk.spread[i] * (coded[static_cast<size_t>(tk.bitOf[i])] ? -1.f : 1.f);
}

}  // namespace vigil
