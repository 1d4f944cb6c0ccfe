// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of a near-memory engine (models/memory/stacked/PnmEngine.h),
/// without SystemC: the host and the loaders use them without a built chip.

#include <cstdint>

#include "models/common/EngineParams.h"

namespace llmvp::models::stacked {

struct PnmParams {
  EngineParams engine;            ///< clock already scaled by the stack's power throttle
  bool inDram = false;            ///< PIM (ENG_ID_PIM) rather than PNM (ENG_ID_PNM)
  std::uint32_t units = 1;        ///< parallel compute units
  double macsPerCyclePerUnit = 1; ///< multiply-accumulates per cycle of one unit (any float type)
  double vectorOpsPerCyclePerUnit = 1;
  double pjPerMac = 0;
  double pjPerVectorOp = 0;
  std::uint64_t unitShardBytes = 0; ///< data one unit can reach (0: the whole partition)
  /// Peak power of the engine's logic (W): MACs and vector ops at full rate.
  [[nodiscard]] double peakW() const {
    return units * engine.clockMhz * 1e6 * (macsPerCyclePerUnit * pjPerMac + vectorOpsPerCyclePerUnit * pjPerVectorOp) *
           1e-12;
  }
};

} // namespace llmvp::models::stacked
