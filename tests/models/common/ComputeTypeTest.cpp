// SPDX-License-Identifier: Apache-2.0
// computeType: the matrix engine computes in the wider of the weight and
// activation types, whichever operand it is.
#include <gtest/gtest.h>

#include "models/common/Numerics.h"

namespace llmvp::test {
namespace {

using models::computeType;
using models::DType;

TEST(ComputeType, IsTheWiderOfWeightAndActivation) {
  EXPECT_EQ(computeType(DType::Fp8E4M3, DType::Bf16), DType::Bf16);
  EXPECT_EQ(computeType(DType::Bf16, DType::Fp8E4M3), DType::Bf16);
  EXPECT_EQ(computeType(DType::Fp32, DType::Bf16), DType::Fp32);
  EXPECT_EQ(computeType(DType::Bf16, DType::Fp32), DType::Fp32);
  EXPECT_EQ(computeType(DType::Fp8E4M3, DType::Fp8E4M3), DType::Fp8E4M3);
}

TEST(ComputeType, TokenIdsNeverWin) {
  EXPECT_EQ(computeType(DType::U32, DType::Fp8E4M3), DType::Fp8E4M3);
  EXPECT_EQ(computeType(DType::Bf16, DType::U32), DType::Bf16);
}

} // namespace
} // namespace llmvp::test
