// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of an on-chip SRAM (models/soc/Sram.h), without SystemC: the
/// host and the loaders use them without a built chip.

#include <cstdint>

namespace llmvp::models::soc {

struct SramParams {
  std::uint64_t bytes = 0;
  double latencyNs = 1.0;       ///< access latency
  double bandwidthGBps = 100.0; ///< sustained bandwidth of the array
  double pjPerBit = 0.0;        ///< access energy
};

} // namespace llmvp::models::soc
