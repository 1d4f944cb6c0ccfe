// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of the on-chip fabric and its ports (models/interconnect/Fabric.h),
/// without SystemC: the host and the loaders use them without a built chip.

#include <cstdint>
#include <string>

namespace llmvp::models::interconnect {

struct FabricPortParams {
  std::string name;
  std::uint64_t base = 0;
  std::uint64_t size = 0;
  double latencyNs = 0.0;     ///< one-way traversal latency to this port
  double bandwidthGBps = 1.0; ///< port bandwidth
};

struct FabricParams {
  double pjPerBit = 0.0; ///< transport energy per bit moved
};

} // namespace llmvp::models::interconnect
