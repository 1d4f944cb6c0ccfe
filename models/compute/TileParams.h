// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of a compute tile (models/compute/ComputeTile.h), without
/// SystemC: the host and the loaders use them without a built chip.

#include <array>
#include <cstdint>

#include "models/common/EngineParams.h"
#include "models/compute/ReadAhead.h"
#include "models/soc/SramParams.h"

namespace llmvp::models::compute {

struct TileParams {
  EngineParams engine;
  /// Multiply-accumulates per cycle of the matrix engine by operand type
  /// (indexed by DType: fp32, bf16, fp8). The computeType() of input and
  /// weight type (Numerics.h) selects the rate.
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
  /// Weight-stream buffer for reads from a slow window (the HBF):
  /// streams there use its depth instead of engine.maxOutstanding and, with
  /// readAhead, continue across descriptors (ReadAhead.h). size 0: none.
  ReadAheadParams hbfBuffer;
};

} // namespace llmvp::models::compute
