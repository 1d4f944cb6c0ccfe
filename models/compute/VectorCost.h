// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The vector work of each kernel: element-operations per element, counted
/// from the arithmetic of the kernels in Kernels.cpp (a multiply, an add, an
/// exp, a divide and the final rounding to the stored type each count one).
/// The compute tile and the near-memory engines charge their vector engines
/// these counts; the host's offload policy (host/PnmPolicy.cpp) and the
/// roofline estimate (analysis/Estimate.cpp) price the same work with them.
/// The tile's dequantisation cost is a platform parameter instead
/// (TileParams::dequantOps).

namespace llmvp::models::compute {

inline constexpr double kRmsnormOps = 4;      ///< per element: square-accumulate, scale, weight, round
inline constexpr double kRopeOps = 4;         ///< per element: two multiplies, one add, round
inline constexpr double kSwigluOps = 5;       ///< per element: exp, add, divide, multiply, round
inline constexpr double kAddOps = 2;          ///< per element: add, round
inline constexpr double kSoftmaxOps = 5;      ///< per score: scale, max, subtract, exp, sum
inline constexpr double kArgmaxOps = 1;       ///< per logit: compare
inline constexpr double kConvertOps = 1;      ///< per element: round to the activation type (embedding gather)
inline constexpr double kTopkSelectOps = 2;   ///< per logit: compare against the running k-th, insert
inline constexpr double kTopkWeightOps = 4;   ///< per selected expert: exp or sigmoid, sum, divide, scale
inline constexpr double kCombineOps = 2;      ///< per output element and slot: multiply, add
inline constexpr double kCombineFixedOps = 2; ///< per output element: residual add, round
/// Near-memory units, per int8/int4 weight: integer to float, multiply by
/// the group scale.
inline constexpr double kPnmDequantOps = 2;

} // namespace llmvp::models::compute
