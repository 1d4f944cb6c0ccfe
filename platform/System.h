// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A multi-chip system: N chips (each a platform::Chip with a collectives
/// engine) joined by a chip-to-chip network (models/interconnect/Network)
/// whose collectives run in one CollectiveGroup. Hardware only: how a model
/// is split over the chips is the host's mapping, and each chip's firmware
/// programs its collective group into its collectives engine.

#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "models/interconnect/Collectives.h"
#include "models/interconnect/Network.h"
#include "platform/Chip.h"

namespace llmvp::platform {

struct SystemParams {
  std::string name;
  std::uint32_t chips = 1; ///< 1: a single chip, no network (the default run)
  models::interconnect::TopologyParams topology;
  models::interconnect::CollectiveParams collectives;
  models::EngineParams collEngine; ///< the chips' collectives engines
};

class System : public sc_core::sc_module {
public:
  System(const sc_core::sc_module_name& name, const ChipParams& chip, const SystemParams& params,
         models::cpu::FirmwareEntry firmware);
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  [[nodiscard]] std::size_t chipCount() const { return chips_.size(); }
  [[nodiscard]] Chip& chip(std::size_t i) { return *chips_.at(i); }
  [[nodiscard]] models::interconnect::Network& network() { return network_; }
  [[nodiscard]] models::interconnect::CollectiveGroup& group() { return group_; }
  [[nodiscard]] const SystemParams& params() const { return params_; }
  /// Every chip's tracks plus one track per link (process "network").
  void attachTrace(models::TraceRecorder& recorder);

private:
  const SystemParams params_;
  models::interconnect::Network network_;
  models::interconnect::CollectiveGroup group_;
  std::vector<std::unique_ptr<Chip>> chips_;
};

} // namespace llmvp::platform
