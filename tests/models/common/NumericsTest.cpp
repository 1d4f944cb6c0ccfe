// SPDX-License-Identifier: Apache-2.0
// Scalar numerics contract (models/common/Numerics.h): bf16 and fp8 E4M3
// rounding, the helpers every engine and the golden reference share.

#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "models/common/Numerics.h"

namespace llmvp::models {
namespace {

float f(std::uint32_t bits) { return bitsFloat(bits); }

TEST(NumericsBf16, ExactValuesAreUnchanged) {
  EXPECT_EQ(toBf16(0.0f), 0x0000);
  EXPECT_EQ(toBf16(-0.0f), 0x8000);
  EXPECT_EQ(toBf16(1.0f), 0x3f80);
  EXPECT_EQ(toBf16(-2.0f), 0xc000);
  EXPECT_EQ(toBf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(toBf16(-std::numeric_limits<float>::infinity()), 0xff80);
  // Every non-NaN bf16 value survives a round trip.
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float v = fromBf16(static_cast<std::uint16_t>(h));
    if (std::isnan(v)) continue;
    ASSERT_EQ(toBf16(v), h) << std::hex << h;
  }
}

TEST(NumericsBf16, RoundsToNearestTiesToEven) {
  EXPECT_EQ(toBf16(f(0x3f808000)), 0x3f80); // halfway, 0x3f80 is even: down
  EXPECT_EQ(toBf16(f(0x3f818000)), 0x3f82); // halfway, 0x3f81 is odd: up
  EXPECT_EQ(toBf16(f(0x3f808001)), 0x3f81); // just above halfway
  EXPECT_EQ(toBf16(f(0x3f807fff)), 0x3f80); // just below halfway
  EXPECT_EQ(toBf16(f(0xbf818000)), 0xbf82); // negative ties: magnitude to even
  EXPECT_EQ(toBf16(f(0xbf808000)), 0xbf80);
  EXPECT_EQ(toBf16(f(0x3fffffff)), 0x4000); // carry into the exponent
  EXPECT_EQ(toBf16(f(0x00008000)), 0x0000); // subnormal tie to even (zero)
  EXPECT_EQ(toBf16(f(0x00018000)), 0x0002); // subnormal tie to even (up)
  EXPECT_EQ(toBf16(f(0x00000001)), 0x0000); // smallest fp32 subnormal vanishes
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7.
  EXPECT_EQ(roundTo(DType::Bf16, 1.0f + 0x1.0p-8f), 1.0f);
  EXPECT_EQ(roundTo(DType::Bf16, 1.0f + 0x1.8p-8f), 1.0f + 0x1.0p-7f);
  EXPECT_EQ(roundTo(DType::Bf16, 3.14159265f), 3.140625f);
}

TEST(NumericsBf16, LargeValuesRoundToInfinityOnlyPastTheMidpoint) {
  EXPECT_EQ(toBf16(f(0x7f7f7fff)), 0x7f7f);                     // below the midpoint: bf16 max
  EXPECT_EQ(toBf16(f(0x7f7f8000)), 0x7f80);                     // midpoint, odd: rounds to inf
  EXPECT_EQ(toBf16(std::numeric_limits<float>::max()), 0x7f80); // overflow to inf (IEEE RNE)
  EXPECT_EQ(toBf16(-std::numeric_limits<float>::max()), 0xff80);
  EXPECT_EQ(toBf16(f(0x7f7e8000)), 0x7f7e); // midpoint, even: stays finite
  EXPECT_FLOAT_EQ(fromBf16(0x7f7f), 3.3895313892515355e38f);
}

TEST(NumericsBf16, NaNStaysQuietNaN) {
  const std::uint32_t nans[] = {0x7fc00000, 0x7f800001, 0x7fffffff, 0xffc00000, 0xff800001, 0x7f80ffff};
  for (std::uint32_t n : nans) {
    const std::uint16_t h = toBf16(f(n));
    EXPECT_TRUE(std::isnan(fromBf16(h))) << std::hex << n << " -> " << h;
    EXPECT_NE(h & 0x40u, 0u) << "quiet bit set";
    EXPECT_EQ(h & 0x8000u, (n >> 16) & 0x8000u) << "sign kept";
  }
  // A signalling NaN whose payload sits in the low bits must not become inf.
  EXPECT_EQ(toBf16(f(0x7f800001)), 0x7fc0);
  EXPECT_TRUE(std::isnan(roundTo(DType::Bf16, std::nanf(""))));
}

TEST(NumericsFp8, KnownCodes) {
  EXPECT_EQ(fromFp8E4M3(0x00), 0.0f);
  EXPECT_EQ(fromFp8E4M3(0x38), 1.0f);
  EXPECT_EQ(fromFp8E4M3(0x7e), 448.0f);
  EXPECT_EQ(fromFp8E4M3(0xfe), -448.0f);
  EXPECT_EQ(fromFp8E4M3(0x08), 0x1.0p-6f); // smallest normal
  EXPECT_EQ(fromFp8E4M3(0x01), 0x1.0p-9f); // smallest subnormal
  EXPECT_EQ(fromFp8E4M3(0x07), 7 * 0x1.0p-9f);
  EXPECT_EQ(fromFp8E4M3(0x3c), 1.5f);
  EXPECT_TRUE(std::isnan(fromFp8E4M3(0x7f)));
  EXPECT_TRUE(std::isnan(fromFp8E4M3(0xff)));
  EXPECT_TRUE(std::signbit(fromFp8E4M3(0x80)));
  EXPECT_EQ(toFp8E4M3(1.0f), 0x38);
  EXPECT_EQ(toFp8E4M3(-1.0f), 0xb8);
  EXPECT_EQ(toFp8E4M3(0.0f), 0x00);
  EXPECT_EQ(toFp8E4M3(-0.0f), 0x80);
}

TEST(NumericsFp8, AllCodesRoundTripExactly) {
  for (unsigned c = 0; c < 256; ++c) {
    if (c == 0x7f || c == 0xff) continue; // NaN
    const float v = fromFp8E4M3(static_cast<std::uint8_t>(c));
    ASSERT_EQ(toFp8E4M3(v), c) << "code 0x" << std::hex << c << " value " << v;
    ASSERT_EQ(roundTo(DType::Fp8E4M3, v), v);
  }
}

TEST(NumericsFp8, CodesAreMonotonic) {
  for (unsigned c = 0; c < 0x7e; ++c)
    ASSERT_LT(fromFp8E4M3(static_cast<std::uint8_t>(c)), fromFp8E4M3(static_cast<std::uint8_t>(c + 1))) << c;
}

TEST(NumericsFp8, MidpointsTieToEvenAndNeighboursRoundToNearest) {
  // Consecutive positive codes c, c+1 (subnormal and normal): the midpoint
  // goes to the even code, anything off the midpoint to the nearer one.
  for (unsigned c = 0; c < 0x7e; ++c) {
    const float lo = fromFp8E4M3(static_cast<std::uint8_t>(c));
    const float hi = fromFp8E4M3(static_cast<std::uint8_t>(c + 1));
    const float mid = (lo + hi) / 2.0f; // exact in fp32
    const unsigned even = (c % 2 == 0) ? c : c + 1;
    for (const float sign : {1.0f, -1.0f}) {
      const unsigned s = sign < 0 ? 0x80u : 0u;
      ASSERT_EQ(toFp8E4M3(sign * mid), even | s) << "midpoint of 0x" << std::hex << c;
      ASSERT_EQ(toFp8E4M3(sign * std::nextafter(mid, 0.0f)), c | s) << "below midpoint of 0x" << std::hex << c;
      ASSERT_EQ(toFp8E4M3(sign * std::nextafter(mid, 1e9f)), (c + 1) | s) << "above midpoint of 0x" << std::hex << c;
    }
  }
}

TEST(NumericsFp8, SaturatesAt448) {
  const float big[] = {448.0f,
                       449.0f,
                       463.9f,
                       464.0f,
                       480.0f,
                       500.0f,
                       1e6f,
                       std::numeric_limits<float>::max(),
                       std::numeric_limits<float>::infinity()};
  for (float v : big) {
    EXPECT_EQ(toFp8E4M3(v), 0x7e) << v;
    EXPECT_EQ(toFp8E4M3(-v), 0xfe) << v;
    EXPECT_EQ(roundTo(DType::Fp8E4M3, v), 448.0f) << v;
  }
  EXPECT_EQ(toFp8E4M3(432.0f), 0x7e); // midpoint 416..448, 416 = 0x7d is odd: up
  EXPECT_EQ(toFp8E4M3(431.0f), 0x7d);
}

TEST(NumericsFp8, Subnormals) {
  EXPECT_EQ(toFp8E4M3(0x1.0p-9f), 0x01);
  EXPECT_EQ(toFp8E4M3(0x1.0p-10f), 0x00);      // tie between 0 and 2^-9: even (0)
  EXPECT_EQ(toFp8E4M3(-0x1.0p-10f), 0x80);     // negative underflow keeps the sign
  EXPECT_EQ(toFp8E4M3(0x1.2p-10f), 0x01);      // above the tie
  EXPECT_EQ(toFp8E4M3(3 * 0x1.0p-10f), 0x02);  // tie 1.5 * 2^-9: even (2)
  EXPECT_EQ(toFp8E4M3(5 * 0x1.0p-10f), 0x02);  // tie 2.5 * 2^-9: even (2)
  EXPECT_EQ(toFp8E4M3(15 * 0x1.0p-10f), 0x08); // tie between max subnormal and min normal
  EXPECT_EQ(toFp8E4M3(1e-10f), 0x00);
  EXPECT_EQ(toFp8E4M3(std::numeric_limits<float>::denorm_min()), 0x00);
  EXPECT_EQ(toFp8E4M3(-3 * 0x1.0p-9f), 0x83);
}

TEST(NumericsFp8, NaNMapsToNaNCode) {
  EXPECT_EQ(toFp8E4M3(std::nanf("")), 0x7f);
  EXPECT_TRUE(std::isnan(roundTo(DType::Fp8E4M3, std::nanf(""))));
}

TEST(NumericsElements, StoreThenLoadEqualsRoundTo) {
  const float values[] = {0.0f, 1.0f, -1.3f, 3.14159f, 1e-3f, 300.0f, 1000.0f, -7e-4f};
  for (DType t : {DType::Fp32, DType::Bf16, DType::Fp8E4M3}) {
    std::uint8_t buf[4 * 8] = {};
    for (std::size_t i = 0; i < 8; ++i) storeElement(buf, t, i, values[i]);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(loadElement(buf, t, i), roundTo(t, values[i])) << i;
  }
  std::uint8_t u[4];
  storeElement(u, DType::U32, 0, 1234.0f);
  EXPECT_EQ(loadElement(u, DType::U32, 0), 1234.0f);
}

TEST(NumericsHelpers, RopeInvFreqAndSilu) {
  EXPECT_EQ(ropeInvFreq(10000.0f, 0, 64), 1.0f);
  EXPECT_FLOAT_EQ(ropeInvFreq(10000.0f, 16, 64), 0.01f); // 10000^(-1/2)
  EXPECT_FLOAT_EQ(ropeInvFreq(500000.0f, 1, 128), static_cast<float>(std::pow(500000.0, -2.0 / 128.0)));
  EXPECT_EQ(silu(0.0f), 0.0f);
  EXPECT_FLOAT_EQ(silu(1.0f), 1.0f / (1.0f + std::exp(-1.0f)));
  EXPECT_FLOAT_EQ(silu(-20.0f), -20.0f / (1.0f + std::exp(20.0f)));
  EXPECT_EQ(dtypeBytes(DType::Bf16), 2u);
  EXPECT_EQ(parseFloatDType("fp8_e4m3"), DType::Fp8E4M3);
  EXPECT_FALSE(parseFloatDType("int8").has_value());
}

} // namespace
} // namespace llmvp::models
