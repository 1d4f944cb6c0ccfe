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

/// How a model is split over the chips.
struct ParallelParams {
  std::uint32_t tensor = 1;   ///< chips sharing every layer (heads, kv heads, FFN columns / rows)
  std::uint32_t pipeline = 1; ///< stages, each a contiguous range of layers on its own chip
  /// Data-parallel attention (system.parallel.attention: data): the tensor
  /// group's chips each own batch / tensor requests and hold the whole
  /// model but the routed experts, which they split and reach by all-to-all.
  bool dataAttention = false;
};

struct SystemParams {
  std::string name;
  std::uint32_t chips = 1; ///< 1: a single chip, no network (the default run)
  ParallelParams parallel;
  models::interconnect::TopologyParams topology; ///< unused with one chip
  models::interconnect::CollectiveParams collectives;
  models::EngineParams collEngine; ///< the chips' collectives engines
};

} // namespace llmvp::platform
