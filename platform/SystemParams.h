// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Everything needed to build a system of chips besides the chip itself
/// (platform/System.h), without SystemC: the host and the loaders use it
/// without a built system.

#include <cstdint>
#include <string>

#include "models/common/EngineParams.h"
#include "models/interconnect/CollectiveParams.h"
#include "models/interconnect/NetworkParams.h"

namespace llmvp::platform {

struct SystemParams {
  std::string name;
  std::uint32_t chips = 1;                       ///< 1: a single chip, no network (the default run)
  models::interconnect::TopologyParams topology; ///< unused with one chip
  models::interconnect::CollectiveParams collectives;
  models::EngineParams collEngine; ///< the chips' collectives engines
};

} // namespace llmvp::platform
