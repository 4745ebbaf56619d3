// What informed (ledger) accusation compares a leak's cell soft values with: per tile cell, the
// key's pilot chip and, per recipient ID, the data chip its coded payload puts there
// (spread sign x the coded bit as +-1). The embedded cell value is kPilotAmp*pilot + kDataAmp*data.
#pragma once
#include <cstdint>

#include "pattern.h"

namespace vigil {

// pilot[kTileCells]: the key's pilot chips (+-1).
void pilotChips(const uint8_t key[32], float* pilot);
// data[kTileCells]: the data chips of the codeword carrying id under key (+-1).
void dataChips(const uint8_t key[32], uint32_t id, float* data);

}  // namespace vigil
