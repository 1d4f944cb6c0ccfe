// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of a compute tile (models/compute/ComputeTile.h), without
/// SystemC: the host and the loaders use them without a built chip.

#include <array>
#include <cstdint>
#include <vector>

#include "models/common/EngineParams.h"
#include "models/compute/ReadAhead.h"
#include "models/soc/SramParams.h"

namespace llmvp::models::compute {

/// Where timing-only TOPK descriptors take expert ids from (no logits exist).
/// A workload property: the host fills it from the model's moe.timing_routing.
struct RoutingParams {
  enum class Distribution : std::uint8_t { Uniform, Zipf, Trace };
  Distribution distribution = Distribution::Uniform;
  double zipfExponent = 1.0; ///< Zipf: expert i drawn with weight 1 / (i + 1)^s
  /// Trace: one record (top_k ids) per TOPK row in execution order (step,
  /// MoE layer, batch row), reused from the start when exhausted.
  std::vector<std::vector<std::uint32_t>> trace;
};

struct TileParams {
  EngineParams engine;
  /// Multiply-accumulates per cycle of the matrix engine by operand type
  /// (indexed by DType: fp32, bf16, fp8). The wider of input and weight type
  /// selects the rate.
  std::array<double, 3> macsPerCycle{};
  std::uint32_t matrixRows = 1; ///< input rows processed per pass
  double vectorLanes = 1;       ///< fp32 element-operations per cycle
  /// Vector element-operations to dequantise one weight, int8 and int4
  /// (chip.tile.vector.dequant_ops; optional, default 2: integer to float,
  /// multiply by the group scale).
  std::array<double, 2> dequantOps{2, 2};
  std::array<double, 3> pjPerMac{}; ///< matrix energy by type
  double pjPerVectorOp = 0;         ///< vector energy per element-operation
  soc::SramParams scratchpad;
  std::uint64_t scratchpadBase = 0; ///< chip address of the scratchpad
  std::uint64_t seed = 0;           ///< timing-only ARGMAX draws token ids from it
  RoutingParams routing;            ///< timing-only TOPK expert choice (seeded by `seed`)
  /// Weight-stream buffer for reads from a slow window (the HBF; issue 5):
  /// streams there use its depth instead of engine.maxOutstanding and, with
  /// readAhead, continue across descriptors (ReadAhead.h). size 0: none.
  ReadAheadParams hbfBuffer;
};

} // namespace llmvp::models::compute
