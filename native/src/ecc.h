// Payload coding: 32-bit ID + 24-bit keyed check, rate-1/3 K=7 convolutional
// code (LTE generators 133/171/165 octal), soft-decision Viterbi.
#pragma once
#include <cstdint>
#include <vector>

namespace vigil {

constexpr int kIdBits = 32;
constexpr int kMacBits = 24;
constexpr int kInfoBits = kIdBits + kMacBits;   // 56
constexpr int kConstraint = 7;
constexpr int kTail = kConstraint - 1;          // 6
constexpr int kCodedBits = (kInfoBits + kTail) * 3;  // 186

// Keyed 24-bit check over the ID (not a CRC: a wrong key fails it too).
uint32_t payloadMac(const uint8_t key[32], uint32_t id);

// Encode id -> kCodedBits bits (0/1).
std::vector<uint8_t> encodePayload(const uint8_t key[32], uint32_t id);

// soft[i] > 0 means coded bit i is more likely 0. Returns true and the id if
// the decoded word passes the keyed check.
bool decodePayload(const uint8_t key[32], const std::vector<float>& soft, uint32_t* id);

// List Viterbi (parallel list decoding): the listSize best paths, best first, are checked
// against the keyed MAC. Returns the rank of the first that passes (and *id), or -1. Every
// path tried is one more 2^-kMacBits chance of a false pass: callers account for listSize.
constexpr int kMaxListSize = 64;
int decodePayloadList(const uint8_t key[32], const std::vector<float>& soft, int listSize, uint32_t* id);

}  // namespace vigil
