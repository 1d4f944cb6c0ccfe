// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Element types and the scalar numerics contract shared by the compute
/// engines and the golden reference (tests/golden). See descriptors.h: all
/// arithmetic is fp32; each stored element is rounded once to its type.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "firmware/include/descriptors.h"

namespace llmvp::models {

enum class DType : std::uint8_t {
  Fp32 = LLMVP_DT_FP32,
  Bf16 = LLMVP_DT_BF16,
  Fp8E4M3 = LLMVP_DT_FP8_E4M3,
  U32 = LLMVP_DT_U32,
};

[[nodiscard]] constexpr std::size_t dtypeBytes(DType t) {
  switch (t) {
  case DType::Fp32: return 4;
  case DType::Bf16: return 2;
  case DType::Fp8E4M3: return 1;
  case DType::U32: return 4;
  }
  return 0;
}

[[nodiscard]] constexpr std::string_view dtypeName(DType t) {
  switch (t) {
  case DType::Fp32: return "fp32";
  case DType::Bf16: return "bf16";
  case DType::Fp8E4M3: return "fp8";
  case DType::U32: return "u32";
  }
  return "?";
}

/// Precision of an element type as a matrix-engine operand: fp32 > bf16 >
/// fp8; u32 (token ids and positions) ranks below them all.
[[nodiscard]] constexpr int precisionRank(DType t) {
  switch (t) {
  case DType::Fp32: return 3;
  case DType::Bf16: return 2;
  case DType::Fp8E4M3: return 1;
  case DType::U32: return 0;
  }
  return 0;
}

/// The type a matrix engine computes in when it multiplies `activations` by
/// `weights` (or by the KV cache in attention): the wider of the two, so that
/// neither operand loses precision. MAC rates and energies per type
/// (TileParams::macsPerCycle, pjPerMac) are looked up by it. Integer
/// (quantised) weights are widened to the activation type: pass
/// `activations` for both.
[[nodiscard]] constexpr DType computeType(DType weights, DType activations) {
  return precisionRank(weights) >= precisionRank(activations) ? weights : activations;
}

/// Parses the config spelling of a floating-point element type.
[[nodiscard]] inline std::optional<DType> parseFloatDType(std::string_view s) {
  if (s == "fp32") return DType::Fp32;
  if (s == "bf16") return DType::Bf16;
  if (s == "fp8" || s == "fp8_e4m3") return DType::Fp8E4M3;
  return std::nullopt;
}

/// True if `raw` is a valid descriptor dtype code.
[[nodiscard]] constexpr bool isValidDType(std::uint8_t raw) { return raw < LLMVP_DT_COUNT; }

[[nodiscard]] inline std::uint32_t floatBits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
[[nodiscard]] inline float bitsFloat(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

/// fp32 -> bf16, round to nearest even; NaN stays a quiet NaN.
[[nodiscard]] inline std::uint16_t toBf16(float f) {
  std::uint32_t u = floatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40u);
  const std::uint32_t lsb = (u >> 16) & 1u;
  u += 0x7fffu + lsb;
  return static_cast<std::uint16_t>(u >> 16);
}
[[nodiscard]] inline float fromBf16(std::uint16_t h) { return bitsFloat(static_cast<std::uint32_t>(h) << 16); }

/// fp32 -> OCP fp8 E4M3 (bias 7, no infinities, max 448), round to nearest
/// even, saturating to +-448; NaN maps to 0x7f.
[[nodiscard]] inline std::uint8_t toFp8E4M3(float f) {
  const std::uint32_t u = floatBits(f);
  const std::uint8_t sign = static_cast<std::uint8_t>((u >> 24) & 0x80u);
  if (std::isnan(f)) return 0x7f;
  float a = std::fabs(f);
  if (a >= 448.0f) return sign | 0x7e;
  // Smallest subnormal is 2^-9; values are quantised on a grid whose step
  // depends on the binade (3 mantissa bits), subnormal step 2^-9.
  int exp;
  (void)std::frexp(a, &exp); // a = m * 2^exp, m in [0.5, 1)
  int e = exp - 1;           // a = 1.m * 2^e
  if (e < -6) e = -6;        // subnormal range shares the 2^-6 binade's step
  const float step = std::ldexp(1.0f, e - 3);
  float q = std::nearbyint(a / step) * step; // default rounding mode: nearest even
  if (q >= 448.0f) return sign | 0x7e;
  if (q == 0.0f) return sign;
  int qexp;
  const float qm = std::frexp(q, &qexp);
  int qe = qexp - 1;
  if (qe < -6) { // subnormal: value = mant * 2^-9
    const auto mant = static_cast<std::uint8_t>(std::lround(q / std::ldexp(1.0f, -9)));
    return sign | mant;
  }
  const auto mant = static_cast<std::uint8_t>(std::lround((qm * 2.0f - 1.0f) * 8.0f));
  return static_cast<std::uint8_t>(sign | ((qe + 7) << 3) | mant);
}
[[nodiscard]] inline float fromFp8E4M3(std::uint8_t v) {
  const bool neg = (v & 0x80u) != 0;
  const int e = (v >> 3) & 0xf;
  const int m = v & 0x7;
  if (e == 0xf && m == 0x7) return std::nanf("");
  const float mag =
      e == 0 ? std::ldexp(static_cast<float>(m), -9) : std::ldexp(1.0f + static_cast<float>(m) / 8.0f, e - 7);
  return neg ? -mag : mag;
}

/// Reads element `i` of a packed array of type `t` as fp32.
[[nodiscard]] inline float loadElement(const std::uint8_t* base, DType t, std::size_t i) {
  switch (t) {
  case DType::Fp32: {
    float f;
    std::memcpy(&f, base + 4 * i, 4);
    return f;
  }
  case DType::Bf16: {
    std::uint16_t h;
    std::memcpy(&h, base + 2 * i, 2);
    return fromBf16(h);
  }
  case DType::Fp8E4M3: return fromFp8E4M3(base[i]);
  case DType::U32: {
    std::uint32_t v;
    std::memcpy(&v, base + 4 * i, 4);
    return static_cast<float>(v);
  }
  }
  return 0.0f;
}

/// Rounds `f` to type `t` and stores it as element `i` of a packed array.
inline void storeElement(std::uint8_t* base, DType t, std::size_t i, float f) {
  switch (t) {
  case DType::Fp32: std::memcpy(base + 4 * i, &f, 4); return;
  case DType::Bf16: {
    const std::uint16_t h = toBf16(f);
    std::memcpy(base + 2 * i, &h, 2);
    return;
  }
  case DType::Fp8E4M3: base[i] = toFp8E4M3(f); return;
  case DType::U32: {
    const auto v = static_cast<std::uint32_t>(f);
    std::memcpy(base + 4 * i, &v, 4);
    return;
  }
  }
}

/// Value of `f` after rounding to type `t` (what a store then load returns).
[[nodiscard]] inline float roundTo(DType t, float f) {
  switch (t) {
  case DType::Fp32: return f;
  case DType::Bf16: return fromBf16(toBf16(f));
  case DType::Fp8E4M3: return fromFp8E4M3(toFp8E4M3(f));
  case DType::U32: return f;
  }
  return f;
}

/// RoPE inverse frequency of pair i for head dimension d (Hugging Face
/// convention): theta^(-2i/d), evaluated in double and rounded to fp32.
[[nodiscard]] inline float ropeInvFreq(float theta, std::uint32_t i, std::uint32_t d) {
  return static_cast<float>(std::pow(static_cast<double>(theta), -2.0 * i / static_cast<double>(d)));
}

/// SiLU in fp32: x / (1 + exp(-x)).
[[nodiscard]] inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

} // namespace llmvp::models
