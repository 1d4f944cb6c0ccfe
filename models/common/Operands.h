// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Operand helpers shared by the engines that compute (compute tile,
/// near-memory engines): dtype classes, operand sizes with a shape limit,
/// and the functional operand buffers.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "firmware/include/descriptors.h"
#include "models/common/Numerics.h"

namespace llmvp::models {

/// Operands above 256 TiB are a bad shape (this also keeps every product
/// of the size computations below 2^64).
constexpr std::uint64_t kMaxOperandBytes = 1ull << 48;

[[nodiscard]] inline bool isFloatType(std::uint8_t t) {
  return t == LLMVP_DT_FP32 || t == LLMVP_DT_BF16 || t == LLMVP_DT_FP8_E4M3;
}

/// a * b * c elements of type t in bytes, or 0 if a factor is 0 or the size exceeds kMaxOperandBytes.
[[nodiscard]] inline std::uint64_t operandBytes(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint8_t t) {
  if (a == 0 || b == 0 || c == 0) return 0;
  const long double v = static_cast<long double>(a) * b * c * dtypeBytes(static_cast<DType>(t));
  return v > static_cast<long double>(kMaxOperandBytes) ? 0 : static_cast<std::uint64_t>(v);
}

/// Reusable buffers for an operation's operands when the engine moves real
/// data; null in timing-only runs.
class OperandBuffers {
public:
  [[nodiscard]] std::uint8_t* get(bool functional, std::size_t slot, std::uint64_t bytes) {
    if (!functional) return nullptr;
    auto& b = buffers_.at(slot);
    if (b.size() < bytes) b.resize(bytes);
    return b.data();
  }

private:
  std::array<std::vector<std::uint8_t>, 4> buffers_;
};

} // namespace llmvp::models
