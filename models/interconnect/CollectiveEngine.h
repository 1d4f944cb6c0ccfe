// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A chip's collectives engine: descriptor-driven (ALL_REDUCE, ALL_GATHER,
/// REDUCE_SCATTER, ALL_TO_ALL, SEND, RECV: descriptors.h), reads its input over the chip
/// fabric, meets the other chips' engines in the system's CollectiveGroup
/// (which times the messages on the network's links), and writes the result
/// to its destination (the scratchpad for decode's small messages). A
/// collective runs among the chips its descriptor names (m chips from chip
/// k, descriptors.h): the firmware programs the group.

#include "models/common/Engine.h"
#include "models/interconnect/Collectives.h"

namespace llmvp::models::interconnect {

class CollectiveEngine : public Engine {
public:
  CollectiveEngine(const sc_core::sc_module_name& name, const EngineParams& params, ISemaphoreWait& semaphores,
                   CollectiveGroup& group, std::uint32_t chip, bool functional);

private:
  Ps execute(const llmvp_desc& d, Ps start, EngineError& err) override;
  /// SEND / RECV (pipeline parallel point to point).
  Ps transfer(const llmvp_desc& d, Ps start, EngineError& err);

  CollectiveGroup& group_;
  const std::uint32_t chip_; ///< this chip's id in the system
  std::vector<std::uint8_t> in_, out_;
  Stat& networkPs_;
};

} // namespace llmvp::models::interconnect
