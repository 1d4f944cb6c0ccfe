// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of a descriptor-driven engine (models/common/Engine.h), without
/// SystemC: the host and the loaders use them without a built chip.

#include <cstdint>

namespace llmvp::models {

struct EngineParams {
  double clockMhz = 1000.0;
  double dispatchCycles = 0.0;        ///< decode/dispatch cost per descriptor
  std::uint64_t chunkBytes = 1 << 20; ///< size of one streamed memory request
  std::uint32_t maxOutstanding = 4;   ///< streamed requests in flight
  double registerLatencyNs = 1.0;     ///< MMIO access latency of the register block
  std::uint64_t semSignalAddress = 0; ///< chip address of SEM_SIGNAL(0)
};

} // namespace llmvp::models
